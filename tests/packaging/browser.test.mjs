// The installed package in headless Chromium (Debian's, driven by playwright-core): a page loads
// the package's browser entry through an import map, as a site without a bundler would.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { extname, join, normalize as normalizePath } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { normalize, createTag } from "omni-meta-capi";

const root = fileURLToPath(new URL(".", import.meta.url));
const TYPES = { ".html": "text/html", ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
const PAGE = `<!doctype html><meta charset="utf-8">
<script type="importmap">{"imports": {"omni-meta-capi": "/node_modules/omni-meta-capi/js/browser.mjs"}}</script>
<script type="module">
  import { normalize, hashUserData, createTag } from "omni-meta-capi";
  const input = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  const fixture = async (name) => (await fetch("/fixtures/" + name)).json();
  const build = createTag(await fixture("tag.json")).build(await fixture("purchase-event.json"), await fixture("request.json"), { now: 1764331200000 });
  window.__result = { single: input.map(({ field, value }) => normalize(field, value)),
    record: hashUserData({ em: "a@b.co", ph: "+1 650 555 1212", zz: 1 }), build };
</script>`;

let server;
let browser;
let base;

before(async () => {
  server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/") return res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    const file = normalizePath(join(root, path));
    if (!file.startsWith(root)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test("normalization in Chromium matches Node", async () => {
  const input = [
    { field: "em", value: " John_Smith@Gmail.com" },
    { field: "ln", value: "Ἀθηνᾶ" },
    { field: "country", value: "U.S.A." },
    { field: "zp", value: "SW1A 1AA" },
    { field: "ge", value: "nope" },
  ];
  const page = await browser.newPage();
  await page.goto(`${base}/#${encodeURIComponent(JSON.stringify(input))}`);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 15_000 });
  const result = await page.evaluate(() => window.__result);
  assert.deepEqual(result.single, input.map(({ field, value }) => normalize(field, value)));
  assert.equal(result.single[0].hash, "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f");
  assert.equal(result.record.userData.ph[0], normalize("ph", "16505551212").hash);
  assert.deepEqual(result.record.dropped, [{ field: "zz", index: 0, reason: "unknown_key" }]);
  const fixture = (name) => JSON.parse(readFileSync(join(root, "fixtures", name), "utf8"));
  const fromNode = createTag(fixture("tag.json")).build(fixture("purchase-event.json"), fixture("request.json"), { now: 1764331200000 });
  assert.equal(result.build.status, "ready");
  assert.equal(result.build.requests[0].body, fromNode.requests[0].body);
});
