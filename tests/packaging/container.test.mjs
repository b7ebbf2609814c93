// The server container on Node, as installed (`omni-meta-capi/serve` and the `serve` CLI), over
// real sockets: gtag-style hits and JSON events in -> the local Meta sandbox receives the right
// events; the response is immediate and carries the cookies; bad requests are 4xx with a clear
// message and never crash it; /healthz and /metrics; two tags; identity through the container.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "omni-meta-capi/serve";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";
import { startIdentityService } from "../../identity/start-local.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const ORIGIN = "https://www.shop.example.com";
const EVENT_TOKEN = "container-event-token-0123456789";
/** A backend's POST /event, authenticated. */
const postEvent = (url, body, headers = {}) =>
  fetch(`${url}/event`, { method: "POST", body, headers: { authorization: `Bearer ${EVENT_TOKEN}`, ...headers } });
const UA = "Mozilla/5.0 (Test) container";
let sandbox;
let server;
const results = [];

const containerConfig = () => ({
  tags: [
    { name: "main", ...fixture("tag.json"), accessToken: undefined, graphBaseUrl: sandbox.url, retry: { attempts: 2, baseDelayMs: 10 } },
    { name: "second", pixelId: "222", accessToken: "EAAB-second", graphBaseUrl: sandbox.url, actionSource: "website" },
  ],
  allowedOrigins: [ORIGIN],
  maxBodyBytes: 4096,
  eventTokens: [EVENT_TOKEN],
  trustProxy: true, // the tests' X-Forwarded-For plays a load balancer's
});

before(async () => {
  sandbox = await startMetaSandbox({ tokens: { "1234567890": "EAAB-example-token", "222": "EAAB-second" } });
  server = await serve({
    config: containerConfig(),
    env: { META_ACCESS_TOKEN: "EAAB-example-token" },
    port: 0,
    options: { log: () => {}, onResult: (result, meta) => results.push({ ...meta, result }) },
  });
});
after(async () => {
  await server?.close();
  await sandbox?.close();
});
beforeEach(() => {
  sandbox.reset();
  results.length = 0;
});

const HIT_QUERY =
  "v=2&tid=G-TEST&cid=555.111&ul=en-us&sr=390x844&sid=1795870000&sct=2" +
  "&dl=" + encodeURIComponent("https://www.shop.example.com/p/shoe?fbclid=IwAR-container") +
  "&dr=" + encodeURIComponent("https://l.facebook.com/") + "&dt=Shoe&gcs=G111";

function hit(query, { method = "POST", body, headers = {} } = {}) {
  return fetch(`${server.url}/g/collect?${query}`, {
    method,
    body,
    headers: { "user-agent": UA, origin: ORIGIN, "x-forwarded-for": "81.2.69.50", ...headers },
  });
}

/** The events the sandbox received for one pixel, after the background runs. */
async function sent(pixelId = "1234567890") {
  await server.container.idle();
  return sandbox.received.filter((r) => r.pixelId === pixelId).flatMap((r) => r.events);
}

test("a gtag hit is answered at once with cookies, then sent to Meta for every tag", async () => {
  const res = await hit(`${HIT_QUERY}&en=view_item&cu=USD&epn.value=49.9&pr1=idSKU-9~nmShoe~pr49.9~qt1~brOmni`);
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
  const cookies = res.headers.getSetCookie();
  assert.deepEqual(cookies.map((c) => c.split("=")[0]).sort(), ["_fbc", "_fbp"]);
  assert.ok(!cookies.join(";").includes("Domain="), "the container (127.0.0.1) is not inside example.com: host-only cookies");
  const [event] = await sent();
  assert.equal(event.event_name, "ViewContent");
  assert.equal(event.event_source_url, "https://www.shop.example.com/p/shoe?fbclid=IwAR-container");
  assert.equal(event.user_data.client_user_agent, UA);
  assert.equal(event.user_data.client_ip_address, "81.2.69.50");
  const fbc = cookies.find((c) => c.startsWith("_fbc=")).split(";")[0].slice(5);
  const fbp = cookies.find((c) => c.startsWith("_fbp=")).split(";")[0].slice(5);
  assert.equal(event.user_data.fbc, fbc, "Meta gets the cookie the browser got");
  assert.equal(event.user_data.fbp, fbp);
  assert.match(fbc, /\.IwAR-container$/);
  const [item] = event.custom_data.contents;
  assert.deepEqual([item.id, item.quantity, item.item_price], ["SKU-9", 1, 49.9]);
  assert.equal(event.custom_data.value, 49.9);
  assert.equal((await sent("222")).length, 1, "the second tag sent it too");
  assert.deepEqual(results.map((r) => [r.tag, r.result.status]).sort(), [["main", "accepted"], ["second", "accepted"]]);
});

/** A hit sent with a Host header of our choosing (fetch may not set one): status and cookies. */
function hitAs(host, query) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}/g/collect?${query}`, {
      method: "POST",
      headers: { host, "user-agent": UA, origin: ORIGIN, "x-forwarded-for": "81.2.69.51", "content-length": 0 },
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, cookies: res.headers["set-cookie"] ?? [] }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("a shop on a platform's domain: cookies on its own host (Public Suffix List), Meta gets its URLs without PII", async () => {
  const page = "https://myshop.myshopify.com/thanks?email=jane%40example.com&fbclid=IwAR-psl&first_name=Jane#top";
  const referrer = "https://myshop.myshopify.com/cart?u=jane@example.com&step=2";
  const query = `v=2&tid=G-TEST&cid=555.222&en=page_view&dl=${encodeURIComponent(page)}&dr=${encodeURIComponent(referrer)}`;
  // The container answers on the shop's own host (a custom route): the cookies may be set for
  // it, and never for myshopify.com, which browsers refuse (a public suffix, private section).
  const { status, cookies } = await hitAs("myshop.myshopify.com", query);
  assert.equal(status, 204);
  assert.deepEqual(cookies.map((c) => c.split("=")[0]).sort(), ["_fbc", "_fbp"]);
  for (const cookie of cookies) assert.match(cookie, /; Domain=myshop\.myshopify\.com;/, cookie);
  const fbc = cookies.find((c) => c.startsWith("_fbc=")).split(";")[0].slice(5);
  assert.match(fbc, /^fb\.2\.\d+\.IwAR-psl$/, "subdomain index 2: myshop.myshopify.com has three labels");
  const [event] = await sent();
  assert.equal(event.event_source_url, "https://myshop.myshopify.com/thanks?fbclid=IwAR-psl#top");
  assert.equal(event.referrer_url, "https://myshop.myshopify.com/cart?step=2");
  assert.equal(event.user_data.fbc, fbc);
  const received = JSON.stringify(sandbox.received);
  assert.ok(!/jane/i.test(received), received);
  // The platform's own host is a public suffix: host-only cookies there.
  const bare = await hitAs("myshopify.com", `v=2&tid=G-TEST&cid=555.333&en=page_view&dl=${encodeURIComponent("https://myshopify.com/")}`);
  assert.equal(bare.status, 204);
  assert.ok(bare.cookies.length > 0 && !bare.cookies.join(";").includes("Domain="), bare.cookies.join(" | "));
  await sent(); // its event delivered before the next test looks
});

test("a returning visitor keeps its cookies; batched lines each become an event; a bad line is left out", async () => {
  const body = "en=page_view&_et=10\nep.no_name=1\nen=add_to_cart&cu=EUR&epn.value=25.5&pr1=idSKU-1~qt2~pr12.75";
  const res = await hit(HIT_QUERY, { body, headers: { cookie: "_fbp=fb.1.1795870000000.42; _ga=GA1.1.555.111" } });
  assert.equal(res.status, 204);
  assert.ok(res.headers.getSetCookie().some((c) => c.startsWith("_fbp=fb.1.1795870000000.42;")));
  const events = await sent();
  assert.deepEqual(events.map((e) => e.event_name), ["PageView", "AddToCart"]);
  assert.ok(events.every((e) => e.user_data.fbp === "fb.1.1795870000000.42"));
  assert.equal(events[1].custom_data.num_items, 2);
  assert.notEqual(events[0].event_id, events[1].event_id);
});

test("POST /event takes JSON event data (one, a list, or {events}) and reports the bad ones", async () => {
  const event = { ...fixture("purchase-event.json"), event_id: "evt-json-1" };
  const one = await postEvent(server.url, JSON.stringify(event), { "user-agent": UA });
  assert.equal(one.status, 202);
  assert.deepEqual(await one.json(), { received: 1, eventIds: ["evt-json-1"], problems: [] });
  const many = await postEvent(server.url, JSON.stringify({ events: [event, "junk", { ...event, event_id: "evt-json-2" }] }));
  assert.deepEqual(await many.json(), { received: 2, eventIds: ["evt-json-1", "evt-json-2"], problems: ["event #1 is not an object"] });
  const ids = (await sent()).map((e) => e.event_id).sort();
  assert.deepEqual(ids, ["evt-json-1", "evt-json-1", "evt-json-2"].sort());
});

test("bad requests get a 4xx with a clear message and nothing is sent", async () => {
  const cases = [
    [() => hit("v=2&cid=1"), 400, "no_event"],
    [() => hit(HIT_QUERY, { method: "PUT" }), 405, "method_not_allowed"],
    [() => hit(`${HIT_QUERY}&en=x`, { body: "en=y&" + "a".repeat(5000) }), 413, "body_too_large"],
    [() => hit(`${HIT_QUERY}&en=x`, { headers: { origin: "https://evil.example" } }), 403, "origin_not_allowed"],
    [() => postEvent(server.url, "{oops"), 400, "invalid_body"],
    [() => fetch(`${server.url}/event`, { method: "POST", body: "{}" }), 401, "unauthorized"],
    [() => fetch(`${server.url}/nowhere`), 404, "not_found"],
  ];
  for (const [send, status, code] of cases) {
    const res = await send();
    assert.equal(res.status, status, code);
    const body = await res.json();
    assert.equal(body.error.code, code);
    assert.equal(typeof body.error.message, "string");
  }
  const wrong = await hit(HIT_QUERY, { method: "DELETE" });
  assert.equal(wrong.headers.get("allow"), "GET, POST, HEAD, OPTIONS");
  await wrong.body?.cancel();
  assert.equal((await sent()).length, 0);
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200, "still up");
});

test("createContainer().fetch answers a non-Request with a 400 instead of throwing", async () => {
  const res = await server.container.fetch({});
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.code, "bad_request");
});

test("CORS preflight, /healthz and per-tag /metrics", async () => {
  const pre = await fetch(`${server.url}/g/collect`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "POST" } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-credentials"), "true");
  assert.equal(await (await fetch(`${server.url}/healthz`)).text(), "ok");
  await hit(`${HIT_QUERY}&en=page_view`);
  await server.container.idle();
  const text = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(text, /^omni_meta_capi_events_total\{tag="main",outcome="accepted"\} [1-9]/m);
  assert.match(text, /^omni_meta_capi_events_total\{tag="second",outcome="accepted"\} [1-9]/m);
  assert.equal(text.match(/^# TYPE omni_meta_capi_events_total counter$/gm).length, 1);
  const json = await (await fetch(`${server.url}/metrics?format=json`)).json();
  assert.deepEqual(json.tags.map((t) => t.name), ["main", "second"]);
  assert.ok(json.tags[0].metrics.eventsAccepted >= 1);
});

test("the answer does not wait for Meta: a slow Meta still gets the event after the 204", async () => {
  sandbox.injectFaults([{ delayMs: 800 }, { delayMs: 800 }]);
  const res = await hit(`${HIT_QUERY}&en=page_view`);
  assert.equal(res.status, 204);
  assert.equal(sandbox.received.length, 0, "Meta had not answered when the browser got its 204");
  assert.equal((await sent()).length, 1);
});

test("the serve CLI runs the container from a config file and drains on SIGTERM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "omni-serve-"));
  const configPath = join(dir, "container.json");
  const config = containerConfig();
  config.tags = [config.tags[0]];
  writeFileSync(configPath, JSON.stringify(config));
  const cli = fileURLToPath(new URL("./node_modules/omni-meta-capi/js/cli.mjs", import.meta.url));
  const child = spawn(process.execPath, [cli, "serve", "--config", configPath, "--port", "0"], {
    env: { ...process.env, META_ACCESS_TOKEN: "EAAB-example-token" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stdout.on("data", (d) => (stdout += d));
  const url = await new Promise((resolve, reject) => {
    child.stderr.on("data", (d) => {
      stderr += d;
      const m = stderr.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  const res = await fetch(`${url}/g/collect?${HIT_QUERY}&en=page_view`, { headers: { "user-agent": UA } });
  assert.equal(res.status, 204);
  child.kill("SIGTERM");
  const code = await new Promise((resolve) => child.once("exit", resolve));
  assert.equal(code, 0, stderr);
  assert.equal(sandbox.received.length, 1, "the accepted hit went out before the process ended");
  assert.ok(stdout.split("\n").filter(Boolean).every((line) => JSON.parse(line).scope === "Omni Tag"), "logs are JSON lines");
  assert.ok(!stdout.includes("EAAB-example-token") && !stderr.includes("EAAB-example-token"));

  const bad = spawn(process.execPath, [cli, "serve", "--config", configPath.replace("container.json", "nope.json")], { stdio: "pipe" });
  assert.equal(await new Promise((resolve) => bad.once("exit", resolve)), 1);
});

test("identity through the container: a sign-up's email reaches a later anonymous hit", async () => {
  const identity = await startIdentityService({ token: "container-id-token" });
  const config = containerConfig();
  config.tags = [{ ...config.tags[0], identity: { enabled: true, endpoint: identity.url, useJournal: true } }];
  const withIdentity = await serve({
    config,
    env: { META_ACCESS_TOKEN: "EAAB-example-token", IDENTITY_TOKEN: "container-id-token" },
    port: 0,
    options: { log: () => {} },
  });
  try {
    const signUp = { event_name: "sign_up", client_id: "id.77", page_location: "https://www.shop.example.com/welcome", user_agent: UA, ip_override: "81.2.69.9", user_data: { email_address: "ct@example.com" } };
    await postEvent(withIdentity.url, JSON.stringify(signUp));
    await withIdentity.container.idle();
    await fetch(`${withIdentity.url}/g/collect?v=2&cid=id.77&en=page_view&dl=${encodeURIComponent("https://www.shop.example.com/")}`, { headers: { "user-agent": UA } });
    await withIdentity.container.idle();
    const later = sandbox.received.at(-1).events[0];
    assert.equal(later.event_name, "PageView");
    assert.equal(later.user_data.em?.length, 1, JSON.stringify(later.user_data));
    assert.equal(later.user_data.external_id?.length, 1);
  } finally {
    await withIdentity.close();
    await identity.close();
  }
});

test("batchWindowMs: the events of many hits reach Meta in one request, each with its own visitor's values", async () => {
  const config = containerConfig();
  config.tags = [config.tags[0]];
  const batching = await serve({
    config: { ...config, batchWindowMs: 1000 }, // wide: the four hits must land in one window even on a slow machine
    env: { META_ACCESS_TOKEN: "EAAB-example-token" },
    port: 0,
    options: { log: () => {} },
  });
  try {
    sandbox.reset();
    const sends = [0, 1, 2, 3].map((i) =>
      fetch(`${batching.url}/g/collect?v=2&cid=b.${i}&en=page_view&dl=${encodeURIComponent(`https://www.shop.example.com/${i}`)}`, {
        method: "POST",
        headers: { "user-agent": `UA-${i}`, "x-forwarded-for": `81.2.69.${10 + i}`, cookie: `_fbp=fb.1.1795870000000.${i}` },
      }),
    );
    assert.deepEqual((await Promise.all(sends)).map((r) => r.status), [204, 204, 204, 204]);
    assert.equal(sandbox.received.length, 0, "held for the window");
    await batching.container.idle();
    assert.equal(sandbox.received.length, 1, "one Meta request for the four hits");
    const events = sandbox.received[0].events;
    assert.deepEqual(
      events.map((e) => [e.user_data.client_user_agent, e.user_data.client_ip_address, e.user_data.fbp]).sort(),
      [0, 1, 2, 3].map((i) => [`UA-${i}`, `81.2.69.${10 + i}`, `fb.1.1795870000000.${i}`]),
    );
  } finally {
    await batching.close();
  }
});
