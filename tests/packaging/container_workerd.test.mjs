// The container Worker (container/worker.mjs, bundled against the installed package the way
// wrangler does) in real workerd via Miniflare: a gtag hit in -> 204 with the cookies -> the
// local Meta sandbox receives the event through ctx.waitUntil; bad input is a 4xx; /metrics.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";
import { startContainerWorker } from "../../container/start-local.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const ORIGIN = "https://www.shop.example.com";
let sandbox;
let worker;

before(async () => {
  sandbox = await startMetaSandbox({ tokens: { "1234567890": "EAAB-example-token" } });
  // A copy next to node_modules, so esbuild resolves "omni-meta-capi" to the installed package.
  const entry = fileURLToPath(new URL("./container-worker.mjs", import.meta.url));
  copyFileSync(new URL("../../container/worker.mjs", import.meta.url), entry);
  const { accessToken, ...tag } = fixture("tag.json");
  worker = await startContainerWorker({
    entry,
    config: { tags: [{ name: "main", ...tag, graphBaseUrl: sandbox.url, logLevel: "ERROR" }], allowedOrigins: [ORIGIN] },
    env: { META_ACCESS_TOKEN: accessToken, METRICS_TOKEN: "metrics-secret", EVENT_TOKENS: "workerd-event-token-0123456789" },
  });
});
after(async () => {
  await worker?.close();
  await sandbox?.close();
});

async function until(check, ms = 5000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("a gtag hit in workerd: 204 with cookies, and Meta receives the event after the response", async () => {
  const dl = encodeURIComponent("https://www.shop.example.com/?fbclid=IwAR-workerd");
  const res = await fetch(`${worker.url}/g/collect?v=2&tid=G-1&cid=9.9&en=page_view&dl=${dl}&gcs=G111`, {
    method: "POST",
    headers: { origin: ORIGIN, "user-agent": "UA-workerd", "cf-connecting-ip": "81.2.69.77" },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
  const cookies = res.headers.getSetCookie();
  assert.deepEqual(cookies.map((c) => c.split("=")[0]).sort(), ["_fbc", "_fbp"]);
  await until(() => sandbox.received.length === 1);
  const [event] = sandbox.received[0].events;
  assert.equal(event.event_name, "PageView");
  assert.equal(event.user_data.client_user_agent, "UA-workerd");
  assert.equal(event.user_data.client_ip_address, "81.2.69.77", "CF-Connecting-IP is the client");
  assert.equal(`_fbc=${event.user_data.fbc}`, cookies.find((c) => c.startsWith("_fbc=")).split(";")[0]);
});

test("bad input in workerd: 4xx with a message; the Worker keeps answering", async () => {
  const cases = [
    [`${worker.url}/g/collect?v=2`, { method: "POST" }, 400],
    [`${worker.url}/event`, { method: "POST", body: "[1, 2" }, 401],
    [`${worker.url}/event`, { method: "POST", body: "[1, 2", headers: { authorization: "Bearer workerd-event-token-0123456789" } }, 400],
    [`${worker.url}/event`, { method: "GET" }, 405],
    [`${worker.url}/event`, { method: "POST", body: "x".repeat(300 * 1024) }, 413],
    [`${worker.url}/g/collect?en=x`, { headers: { origin: "https://evil.example" } }, 403],
  ];
  for (const [url, init, status] of cases) {
    const res = await fetch(url, init);
    assert.equal(res.status, status, url);
    assert.equal(typeof (await res.json()).error.message, "string");
  }
  assert.equal(await (await fetch(`${worker.url}/healthz`)).text(), "ok");
});

test("/metrics in workerd needs its token and labels the tag", async () => {
  assert.equal((await fetch(`${worker.url}/metrics`)).status, 401);
  const res = await fetch(`${worker.url}/metrics`, { headers: { authorization: "Bearer metrics-secret" } });
  assert.equal(res.status, 200);
  assert.match(await res.text(), /omni_meta_capi_events_total\{tag="main",outcome="built"\} [1-9]/);
});

test("/readyz in workerd probes Meta through the Worker's fetch and caches the answer", async () => {
  const before = sandbox.attempts.length;
  const res = await fetch(`${worker.url}/readyz`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.ready, true);
  assert.equal(body.tags[0].checks[0].status, "pass");
  assert.equal(sandbox.attempts.length, before + 1);
  assert.equal((await fetch(`${worker.url}/readyz`)).status, 200);
  assert.equal(sandbox.attempts.length, before + 1, "the second answer came from the cache");
  assert.ok(sandbox.attempts.every((a) => !a.tokenInUrl));
});

test("a Worker configured by environment variables alone (META_PIXEL_ID, META_ACCESS_TOKEN)", async () => {
  const entry = fileURLToPath(new URL("./container-worker.mjs", import.meta.url));
  const bare = await startContainerWorker({ entry, config: "", env: { META_PIXEL_ID: "1234567890", META_ACCESS_TOKEN: "EAAB-example-token" } });
  try {
    sandbox.reset();
    const dl = encodeURIComponent("https://www.shop.example.com/");
    // A Purchase without value: the tag (built from the environment) finds it invalid, so nothing
    // is sent — this Worker targets graph.facebook.com, which no test may reach.
    const res = await fetch(`${bare.url}/g/collect?v=2&cid=7.7&en=purchase&dl=${dl}`, { headers: { "user-agent": "UA-env" } });
    assert.equal(res.status, 204);
    assert.ok(res.headers.getSetCookie().some((c) => c.startsWith("_fbp=")), "the tag decided the cookies");
    let metrics;
    for (let i = 0; i < 50 && !metrics?.tags[0].metrics.eventsInvalid; i++) {
      metrics = await (await fetch(`${bare.url}/metrics?format=json`)).json();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(metrics.tags.map((t) => t.name), ["1234567890"]);
    assert.deepEqual(metrics.tags[0].metrics.skippedByReason, { "purchase.value_missing": 1 });
    assert.equal(sandbox.attempts.length, 0);
  } finally {
    await bare.close();
  }
});
