// The monitoring history on Workers: two Worker instances (two isolates, as Cloudflare runs many)
// of container/worker.mjs, bundled against the installed package, share the MonitorHistory
// Durable Object (SQLite storage) in real workerd via Miniflare. Events sent through each add up
// in either's /dashboard/data, while /metrics stays per instance; an alert checked by both
// instances' Cron Triggers posts once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";
import { bundleWorker } from "../../identity/start-local.mjs";

const TOKEN = "EAAB-example-token";
const EVENT_TOKEN = "workerd-event-token-0123456789";
const DASH = "dash-workerd-token";
let sandbox;
let mf;
let outdir;
let workers; // { a, b }: each a fetch into one Worker instance
let instances; // the Miniflare workers, for scheduled()
let hook;
const posts = [];

before(async () => {
  sandbox = await startMetaSandbox({ tokens: { "1234567890": TOKEN } });
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => res.end(void posts.push(JSON.parse(body))));
  });
  await new Promise((r) => hook.listen(0, "127.0.0.1", r));
  const entry = fileURLToPath(new URL("./monitoring-worker.mjs", import.meta.url));
  copyFileSync(new URL("../../container/worker.mjs", import.meta.url), entry);
  outdir = mkdtempSync(join(tmpdir(), "omni-monitor-"));
  const scriptPath = await bundleWorker(outdir, entry);
  const config = {
    tags: [{ name: "main", pixelId: "1234567890", actionSource: "website", graphBaseUrl: sandbox.url, logLevel: "ERROR", consent: { requireAdStorage: false } }],
    alerts: [{ when: { silent: "Purchase", hours: 1 }, webhook: `http://127.0.0.1:${hook.address().port}/silent` }],
  };
  const worker = (name) => ({
    name,
    modules: true,
    scriptPath,
    modulesRoot: outdir,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    compatibilityDate: "2026-04-01",
    bindings: { CONTAINER_CONFIG: JSON.stringify(config), META_ACCESS_TOKEN: TOKEN, EVENT_TOKENS: EVENT_TOKEN, DASHBOARD_TOKEN: DASH },
    // One Durable Object class (defined by "a"), bound by both instances.
    durableObjects: { MONITOR: { className: "MonitorHistory", scriptName: "a", useSQLite: true } },
  });
  mf = new Miniflare({ workers: [worker("a"), worker("b")], host: "127.0.0.1", port: 0 });
  await mf.ready;
  const a = await mf.getWorker("a");
  const b = await mf.getWorker("b");
  instances = { a, b };
  workers = { a: (path, init) => a.fetch(`http://container${path}`, init), b: (path, init) => b.fetch(`http://container${path}`, init) };
});

after(async () => {
  await mf?.dispose();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
  await sandbox?.close();
  await new Promise((r) => (hook ? hook.close(r) : r()));
});

const send = (fetchIn, events) =>
  fetchIn("/event", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${EVENT_TOKEN}`, "user-agent": "UA-workerd" },
    body: JSON.stringify(events),
  });

const dashboard = async (fetchIn) => {
  const res = await fetchIn("/dashboard/data?range=1h", { headers: { authorization: "Basic " + btoa(`admin:${DASH}`) } });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
};

async function until(check, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("events through two Worker instances add up in the Durable Object's history", async () => {
  const ev = (name, id) => ({ event_name: name, page_location: "https://shop.example.com/", ...(id ? { event_id: id } : {}) });
  // 3 page views and a purchase through "a", 2 page views through "b"; 3 with a page event_id.
  assert.equal((await send(workers.a, [ev("page_view", "a1"), ev("page_view"), ev("page_view"), ev("generate_lead", "a2")])).status, 202);
  assert.equal((await send(workers.b, [ev("page_view", "b1"), ev("page_view")])).status, 202);
  await until(() => sandbox.received.flatMap((r) => r.events).length === 6);

  // Either instance's dashboard shows both instances' events (the flush runs in waitUntil).
  for (const name of ["a", "b"]) {
    const data = await until(async () => {
      const d = await dashboard(workers[name]);
      return d.views[""].totals.accepted === 6 && d.views[""].totals.received === 6 ? d : null;
    });
    assert.equal(data.store.kind, "durable-object");
    assert.equal(data.store.durable, true);
    const byEvent = Object.fromEntries(data.views[""].byEvent.map((e) => [e.event, [e.received, e.accepted]]));
    assert.deepEqual(byEvent, { PageView: [5, 5], Lead: [1, 1] });
    assert.deepEqual(data.views[""].dedup, { fromPage: 3, generated: 3 });
    assert.deepEqual(data.views[""].byPixel.map((p) => [p.pixel, p.accepted]), [["1234567890", 6]]);
    assert.equal(data.recent.length, 6);
  }

  // /metrics stays per instance: "a" built 4 events, "b" 2.
  const built = async (fetchIn) => Number((await (await fetchIn("/metrics")).text()).match(/omni_meta_capi_events_total\{tag="main",outcome="built"\} (\d+)/)[1]);
  assert.deepEqual([await built(workers.a), await built(workers.b)], [4, 2]);
  const text = await (await workers.a("/metrics")).text();
  assert.match(text.split("\n")[0], /^# omni-meta-capi: the counters of this instance/);
});

test("an alert checked by both instances' Cron Triggers posts once (claimed in the Durable Object)", async () => {
  // scheduled() resolves after the handler's waitUntil work: the post is made by then.
  await instances.a.scheduled({ cron: "* * * * *" });
  assert.equal(posts.length, 1);
  await instances.b.scheduled({ cron: "* * * * *" });
  await instances.a.scheduled({ cron: "* * * * *" });
  assert.equal(posts.length, 1);
  assert.deepEqual([posts[0].kind, posts[0].event, posts[0].accepted], ["silent", "Purchase", 0]);
});
