// Monitoring on Node, from the installed package: the Prometheus text stays parseable whatever
// the tag names (checked with a real exposition-format parser); the history lives in the queue's
// SQLite file and survives a restart of serve; alerts post to their webhook once per window,
// without PII or tokens.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import parsePrometheus from "parse-prometheus-text-format";
import { createContainer } from "omni-meta-capi";
import { serve } from "omni-meta-capi/serve";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";

const TOKEN = "EAAB-monitoring-token";
const EVENT_TOKEN = "monitoring-event-token-0123456789";
const DASH = "monitoring-dash-token";
const dir = mkdtempSync(join(tmpdir(), "omni-monitoring-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const tag = (graphBaseUrl, extra = {}) => ({
  pixelId: "1234567890",
  accessToken: TOKEN,
  actionSource: "website",
  graphBaseUrl,
  logLevel: "ERROR",
  retry: { attempts: 1 },
  ...extra,
});

async function until(check, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

const post = (server, events) =>
  fetch(`${server.url}/event`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${EVENT_TOKEN}`, "user-agent": "UA-monitoring" },
    body: JSON.stringify(events),
  });
const data = async (server, range = "1h") => {
  const res = await fetch(`${server.url}/dashboard/data?range=${range}`, { headers: { authorization: "Basic " + btoa(`a:${DASH}`) } });
  assert.equal(res.status, 200);
  return res.json();
};
const ev = (name, id) => ({ event_name: name, page_location: "https://shop.example.com/", ip_override: "81.2.69.5", ...(id ? { event_id: id } : {}) });

test("/metrics: tag names with a newline, quotes and backslashes parse with a Prometheus text parser", async () => {
  const names = ['shop\nus', 'say "hi"', "back\\slash"];
  const c = createContainer({ tags: names.map((name) => ({ name, pixelId: "1", accessToken: "t" })) }, {});
  assert.deepEqual(c.report.errors, []);
  const res = await c.fetch(new Request("http://x/metrics"));
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /^# omni-meta-capi: the counters of this instance/);
  const families = parsePrometheus(text);
  const events = families.find((f) => f.name === "omni_meta_capi_events_total");
  assert.equal(events.type, "COUNTER");
  assert.deepEqual([...new Set(events.metrics.map((m) => m.labels.tag))], names);
  // Every family has a sample per tag, each labelled with a name exactly as configured.
  for (const f of families.filter((f) => f.type === "COUNTER" && f.metrics.length)) {
    for (const m of f.metrics) assert.ok(names.includes(m.labels.tag), `${f.name}: ${JSON.stringify(m.labels)}`);
  }
  const requests = families.find((f) => f.name === "omni_meta_capi_requests_total");
  assert.deepEqual(requests.metrics.map((m) => m.labels.tag), names);
});

test("serve --queue: the history is in the queue's file and survives a restart", async () => {
  const sandbox = await startMetaSandbox({ tokens: { "1234567890": TOKEN } });
  const queue = join(dir, "outbox.sqlite");
  const config = { tags: [{ name: "main", ...tag(sandbox.url) }], eventTokens: [EVENT_TOKEN], dashboardToken: DASH };
  const start = () => serve({ config, env: {}, port: 0, queue, options: { log: () => {} } });
  try {
    let server = await start();
    assert.equal((await post(server, [ev("purchase", "o-1"), ev("page_view"), ev("page_view", "pv-2")])).status, 202);
    let d = await until(async () => {
      const x = await data(server);
      return x.views[""].totals.accepted + x.views[""].totals.invalid === 3 ? x : null;
    });
    assert.deepEqual(d.store, { kind: "sqlite", durable: true });
    const before = d.views[""];
    assert.deepEqual(before.dedup, { fromPage: 2, generated: 1 });
    assert.equal(before.totals.received, 3);
    await server.close();

    server = await start();
    try {
      d = await data(server);
      assert.deepEqual(d.views[""].totals, before.totals, "the restarted server shows the same history");
      assert.deepEqual(d.views[""].byEvent, before.byEvent);
      assert.equal(d.recent.length, before.totals.accepted + before.totals.rejected);
      // Its own counters started from zero: /metrics is per instance.
      assert.equal(d.tags[0].metrics.eventsReceived, 0);
      assert.equal((await post(server, [ev("page_view")])).status, 202);
      d = await until(async () => {
        const x = await data(server);
        return x.views[""].totals.received === 4 ? x : null;
      });
      assert.equal(d.views[""].byEvent.find((e) => e.event === "PageView").received, 3);
    } finally {
      await server.close();
    }
  } finally {
    await sandbox.close();
  }
});

test("alerts: error rate and a silent event post to their webhooks once per window, no PII or token", async () => {
  const posts = [];
  const hook = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      posts.push({ path: req.url, body: JSON.parse(body) });
      res.end("ok");
    });
  });
  await new Promise((r) => hook.listen(0, "127.0.0.1", r));
  const hookUrl = `http://127.0.0.1:${hook.address().port}`;
  const sandbox = await startMetaSandbox({ tokens: { "1234567890": TOKEN } });
  const config = {
    tags: [{ name: "main", ...tag(sandbox.url) }],
    eventTokens: [EVENT_TOKEN],
    dashboardToken: DASH,
    history: { path: join(dir, "alerts-history.sqlite") },
    alerts: [
      { when: { errorRate: 0.5, minutes: 10, minEvents: 2 }, webhook: `${hookUrl}/errors` },
      { when: { silent: "Purchase", hours: 1 }, webhook: `${hookUrl}/silent` },
    ],
  };
  const server = await serve({ config, env: {}, port: 0, options: { log: () => {}, alertIntervalMs: 0 } });
  try {
    assert.deepEqual(server.container.report.errors, []);
    // 1 accepted, then 2 rejected (code 100 with PII and the token in Meta's text): 2/3 >= 50%.
    assert.equal((await post(server, [ev("page_view")])).status, 202);
    await server.container.idle();
    const leaky = { error: { code: 100, subcode: 2804019, error_user_title: "Bad", error_user_msg: `jane.doe@example.com ${TOKEN}` } };
    sandbox.injectFaults([leaky, leaky]);
    assert.equal((await post(server, [ev("page_view")])).status, 202);
    await server.container.idle();
    assert.equal((await post(server, [ev("page_view")])).status, 202);
    await server.container.idle();

    assert.deepEqual((await server.container.checkAlerts()).sort(), ["alerts[0]", "alerts[1]"]);
    await until(() => posts.length === 2);
    const errors = posts.find((p) => p.path === "/errors").body;
    assert.deepEqual([errors.kind, errors.sent, errors.errors], ["errorRate", 3, 2]);
    const silent = posts.find((p) => p.path === "/silent").body;
    assert.deepEqual([silent.kind, silent.event, silent.accepted], ["silent", "Purchase", 0]);
    // Once per window: checking again posts nothing.
    assert.deepEqual(await server.container.checkAlerts(), []);
    const all = JSON.stringify(posts);
    assert.ok(!all.includes(TOKEN) && !all.includes("jane.doe"), all);
    // The dashboard lists them, and its recent events carry Meta's redacted message.
    const d = await data(server);
    assert.equal(d.alerts.length, 2);
    const rejected = d.recent.find((e) => e.status === "rejected");
    assert.equal(rejected.error.title, "Bad");
    assert.ok(!JSON.stringify(d).includes(TOKEN) && !JSON.stringify(d).includes("jane.doe"));
  } finally {
    await server.close();
    await sandbox.close();
    await new Promise((r) => hook.close(r));
  }
});

test("alerts: a webhook that fails gets the alert again at the next check, then once per window", async () => {
  const answers = [503, 200];
  const posts = [];
  const hook = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      posts.push(req.url);
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise((r) => hook.listen(0, "127.0.0.1", r));
  const config = {
    tags: [{ name: "main", ...tag("http://127.0.0.1:9") }],
    eventTokens: [EVENT_TOKEN],
    dashboardToken: DASH,
    history: { path: join(dir, "alerts-retry-history.sqlite") },
    alerts: [{ when: { silent: "Purchase", hours: 1 }, webhook: `http://127.0.0.1:${hook.address().port}/silent` }],
  };
  const server = await serve({ config, env: {}, port: 0, options: { log: () => {}, alertIntervalMs: 0 } });
  try {
    // The 503 does not use up the window: nothing counts as posted, and the next check retries.
    assert.deepEqual(await server.container.checkAlerts(), []);
    assert.deepEqual(await server.container.checkAlerts(), ["alerts[0]"]);
    assert.deepEqual(await server.container.checkAlerts(), []);
    assert.deepEqual(posts, ["/silent", "/silent"]);
  } finally {
    await server.close();
    await new Promise((r) => hook.close(r));
  }
});
