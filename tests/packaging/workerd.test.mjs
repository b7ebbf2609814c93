// The package inside real workerd (Miniflare): a Worker bundled the way wrangler bundles it
// (esbuild, conditions workerd/worker/browser, the .wasm kept as its own CompiledWasm module).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";
import { startLocalWorker } from "../../identity/start-local.mjs";

const started = [];
after(() => Promise.all(started.map((w) => w.close())));

/** The test Worker (worker.mjs, bundled against the installed package), reached with dispatchFetch. */
async function startWorker() {
  const worker = await startLocalWorker({ entry: fileURLToPath(new URL("./worker.mjs", import.meta.url)), bindings: {} });
  started.push(worker);
  return worker.mf;
}

test("normalization runs in workerd and agrees with Node", async () => {
  const mf = await startWorker();
  try {
    const { normalize } = await import("omni-meta-capi");
    const input = [
      { field: "em", value: "  John_Smith@Gmail.com " },
      { field: "fn", value: "정" },
      { field: "ct", value: "São Paulo" },
      { field: "st", value: "New York State" },
      { field: "db", value: "16.02.1997" },
      { field: "ph", value: "0044 844 412 4653" },
    ];
    const res = await mf.dispatchFetch("http://localhost/normalize", { method: "POST", body: JSON.stringify(input) });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.runtime, "workerd");
    assert.equal(body.results.length, input.length);
    body.results.forEach((r, i) => assert.deepEqual(r, normalize(input[i].field, input[i].value)));
    assert.equal(body.results[0].hash, "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f");

    const lines = await mf.dispatchFetch("http://localhost/lines", { method: "POST", body: '{"field":"zp","value":"94025-1234"}\n{bad\n' });
    const out = await lines.json();
    assert.equal(out.errors, 1);
    assert.match(out.output, /"normalized":"94025"/);
  } finally {
    await mf.dispose();
  }
});

test("the tag builds the same request in workerd as in Node", async () => {
  const mf = await startWorker();
  try {
    const { createTag } = await import("omni-meta-capi");
    const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
    const input = { config: fixture("tag.json"), event: fixture("purchase-event.json"), context: fixture("request.json"), now: 1764331200000 };
    const res = await mf.dispatchFetch("http://localhost/build", { method: "POST", body: JSON.stringify(input) });
    const fromWorkerd = await res.json();
    const fromNode = createTag(input.config).build(input.event, input.context, { now: input.now });
    assert.equal(fromWorkerd.status, "ready");
    assert.equal(fromWorkerd.requests[0].body, fromNode.requests[0].body);
    assert.deepEqual(fromWorkerd.cookies, fromNode.cookies);
  } finally {
    await mf.dispose();
  }
});

test("tag.run in workerd sends through the Worker's fetch to the sandbox, retrying a 500", async () => {
  const sandbox = await startMetaSandbox({ tokens: { "1234567890": "EAAB-example-token" } });
  const mf = await startWorker();
  try {
    const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
    sandbox.injectFaults([{ times: 1, status: 500 }]);
    const config = { ...fixture("tag.json"), graphBaseUrl: sandbox.url, retry: { attempts: 3, baseDelayMs: 10 } };
    const input = { config, event: fixture("purchase-event.json"), context: fixture("request.json") };
    const res = await mf.dispatchFetch("http://localhost/run", { method: "POST", body: JSON.stringify(input) });
    const out = await res.json();
    assert.equal(out.status, "accepted", JSON.stringify(out.results));
    assert.equal(out.results[0].attempts, 2);
    assert.ok(out.printed > 0);
    assert.equal(sandbox.received.length, 1);
    assert.equal(sandbox.received[0].events[0].event_id, input.event.event_id);
  } finally {
    await mf.dispose();
    await sandbox.close();
  }
});

test("tag.run in workerd resolves identity through the Worker's fetch, then sends the enriched event", async () => {
  const { startIdentityService } = await import("../../identity/start-local.mjs");
  const [sandbox, identity] = await Promise.all([
    startMetaSandbox({ tokens: { "1234567890": "EAAB-example-token" } }),
    startIdentityService({ token: "workerd-id-token" }),
  ]);
  const mf = await startWorker();
  try {
    const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
    const config = {
      ...fixture("tag.json"),
      graphBaseUrl: sandbox.url,
      identity: { enabled: true, endpoint: identity.url, token: "workerd-id-token", useJournal: true },
    };
    const run = async (event) => {
      const res = await mf.dispatchFetch("http://localhost/run", { method: "POST", body: JSON.stringify({ config, event, context: {} }) });
      return res.json();
    };
    const base = { event_name: "page_view", client_id: "wd.1", page_location: "https://shop.example.com/", user_agent: "UA", ip_override: "81.2.69.9" };
    const signUp = await run({ ...base, event_name: "sign_up", user_data: { email_address: "wd@example.com" } });
    assert.equal(signUp.identity.status, "resolved", JSON.stringify(signUp.identity));
    const later = await run(base);
    assert.equal(later.status, "accepted");
    assert.deepEqual(later.identity.filled, ["external_id", "em"]);
    assert.equal(later.identity.uuid, signUp.identity.uuid);
    const ud = sandbox.received.at(-1).events[0].user_data;
    assert.equal(ud.em.length, 1);
    assert.equal(ud.external_id.length, 1);
  } finally {
    await mf.dispose();
    await Promise.all([sandbox.close(), identity.close()]);
  }
});
