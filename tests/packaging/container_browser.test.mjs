// The server container end to end from a real browser (Debian's headless Chromium, driven by
// playwright-core): a page sends GA4 hits to `${container}/g/collect` the way gtag.js does for a
// `server_container_url` (a batched POST: shared parameters in the query, one event per body
// line; and a single hit with everything in the query), with credentials. It proves that CORS
// lets the page read the 204s, that the local Meta sandbox receives PageView / AddToCart /
// Purchase with the page's URL, the item's value/currency/contents, the browser's real
// User-Agent and fbc/fbp, that the browser keeps the `_fbp` cookie the container set and sends
// it back on the next page load (same fbp at Meta), and that a foreign origin is refused.
//
// Cookies: the container sets `_fbp`/`_fbc` with `Secure; SameSite=Lax` and no Domain (the page
// host is an IP). Chromium treats http://127.0.0.1 as a potentially trustworthy origin, so it
// stores and sends Secure cookies over plain http there, just as for localhost (checked on
// Chromium 156; a plain-http name that is not trustworthy, e.g. shop.test mapped to 127.0.0.1,
// drops them). Cookies ignore ports and two ports of one host are the same site, so the page
// (one port) reads and sends what the container (another port) set: everything runs on
// 127.0.0.1. On an IP host Meta's subdomain index is 0, hence `fb.0.<ms>.…`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { serve } from "omni-meta-capi/serve";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";

const HOST = "127.0.0.1";
const tagConfig = JSON.parse(readFileSync(new URL("./fixtures/tag.json", import.meta.url), "utf8"));

// The tiny gtag-style sender: runs on load, resolves `window.__sent` to what the page saw.
const page = (containerUrl) => `<!doctype html><meta charset="utf-8"><title>Shoe shop</title>
<script>
  const hit = (url, init) => fetch(url, { keepalive: true, credentials: "include", ...init })
    .then((r) => ({ status: r.status }), (e) => ({ error: String(e) }));
  const shared = new URLSearchParams({ v: "2", tid: "G-TEST123", gtm: "45je5000", _p: String(Date.now()),
    gcs: "G111", cid: "1234567.1700000000", ul: "en-us", sr: screen.width + "x" + screen.height,
    dl: location.href, dt: document.title, sid: "1700000000", sct: "1", seg: "1" }).toString();
  const item = (s) => encodeURIComponent(s);
  window.__sent = (async () => {
    const batch = await hit("${containerUrl}/g/collect?" + shared, { method: "POST",
      body: "en=page_view&_et=1\\nen=add_to_cart&cu=USD&epn.value=25.5&pr1=" + item("idSKU-1~nmShoe~pr25.5~qt1") });
    const single = await hit("${containerUrl}/g/collect?" + shared +
      "&en=purchase&ep.transaction_id=T-1&epn.value=99&cu=EUR&pr1=" + item("idSKU-2~nmBoot~pr49.5~qt2"));
    return { batch, single, fbpCookie: document.cookie.match(/(?:^|; )_fbp=([^;]*)/)?.[1] ?? null,
      userAgent: navigator.userAgent, href: location.href };
  })();
</script>`;

let sandbox, container, pageServer, foreignServer, browser, context;
let pageOrigin, foreignOrigin;
const results = [];

async function staticServer(html) {
  const server = createServer((req, res) => res.writeHead(200, { "content-type": "text/html" }).end(html()));
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  return server;
}

before(async () => {
  sandbox = await startMetaSandbox({ tokens: { [tagConfig.pixelId]: tagConfig.accessToken } });
  pageServer = await staticServer(() => page(container.url));
  foreignServer = await staticServer(() => page(container.url));
  pageOrigin = `http://${HOST}:${pageServer.address().port}`;
  foreignOrigin = `http://${HOST}:${foreignServer.address().port}`;
  container = await serve({
    config: { tags: [{ ...tagConfig, graphBaseUrl: sandbox.url }], allowedOrigins: [pageOrigin] },
    env: {},
    port: 0,
    host: HOST,
    options: { log: () => {}, onResult: (result, { events }) => results.push({ result, events }) },
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  context = await browser.newContext();
});

after(async () => {
  await browser?.close();
  await container?.close();
  pageServer?.close();
  foreignServer?.close();
  await sandbox?.close();
});

/** Load a page, wait for its hits, then for the container's background runs. */
async function visit(url) {
  const tab = await context.newPage();
  await tab.goto(url);
  const sent = await tab.evaluate(() => window.__sent);
  await tab.close();
  await container.container.idle();
  return sent;
}

const received = () => sandbox.received.flatMap((r) => r.events);
let first;

test("first visit (with fbclid): hits answered 204, readable through CORS", async () => {
  first = await visit(`${pageOrigin}/p/shoe?fbclid=IwAR-browser-test`);
  assert.deepEqual(first.batch, { status: 204 });
  assert.deepEqual(first.single, { status: 204 });
});

test("the sandbox receives PageView, AddToCart and Purchase as Meta server events", () => {
  assert.ok(first, "the first visit ran");
  assert.ok(results.every((r) => r.result.status === "accepted"), JSON.stringify(results.map((r) => r.result)));
  const events = received();
  assert.deepEqual(events.map((e) => e.event_name), ["PageView", "AddToCart", "Purchase"]);
  for (const e of events) {
    assert.equal(e.event_source_url, first.href);
    assert.equal(e.action_source, "website");
    assert.equal(e.user_data.client_user_agent, first.userAgent);
    assert.match(e.user_data.fbc ?? "", /^fb\.\d\.\d+\.IwAR-browser-test$/);
    assert.match(e.user_data.fbp ?? "", /^fb\.\d\.\d+\.\d+$/);
  }
  const [, cart, purchase] = events;
  assert.equal(cart.custom_data.value, 25.5);
  assert.equal(cart.custom_data.currency, "USD");
  assert.deepEqual(cart.custom_data.contents, [{ id: "SKU-1", quantity: 1, item_price: 25.5, title: "Shoe" }]);
  assert.equal(purchase.custom_data.value, 99);
  assert.equal(purchase.custom_data.currency, "EUR");
  assert.equal(purchase.custom_data.order_id, "T-1");
  assert.deepEqual(purchase.custom_data.contents, [{ id: "SKU-2", quantity: 2, item_price: 49.5, title: "Boot" }]);
  assert.equal(new Set(events.map((e) => e.user_data.fbp)).size, 1, "one fbp for the visit");
});

test("the browser stored the container's _fbp cookie, and the next page load reuses it", async () => {
  const fbp = received()[0].user_data.fbp;
  assert.equal(first.fbpCookie, fbp, "the page reads the _fbp the container set");
  const seen = sandbox.received.length;
  const second = await visit(`${pageOrigin}/p/boot`);
  assert.deepEqual([second.batch.status, second.single.status], [204, 204]);
  const later = sandbox.received.slice(seen).flatMap((r) => r.events);
  assert.equal(later.length, 3);
  for (const e of later) {
    assert.equal(e.user_data.fbp, fbp);
    assert.equal(e.event_source_url, `${pageOrigin}/p/boot`);
    assert.match(e.user_data.fbc ?? "", /\.IwAR-browser-test$/, "the _fbc cookie comes back too");
  }
});

test("a page on a foreign origin has its hits refused", async () => {
  const seen = sandbox.received.length;
  const runs = results.length;
  const sent = await visit(`${foreignOrigin}/p/shoe`);
  for (const r of [sent.batch, sent.single]) assert.ok(r.error !== undefined || r.status === 403, JSON.stringify(r));
  assert.equal(sandbox.received.length, seen, "nothing reaches Meta");
  assert.equal(results.length, runs, "no background run started");
});
