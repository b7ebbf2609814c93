// The container Worker in real workerd with a broken CONTAINER_CONFIG, as a newcomer gets it
// wrong: the isolate's first request logs the config report (errors and warnings, "did you
// mean"), /readyz names each error, and JSON syntax errors say where (line and column).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startLocalWorker } from "../../identity/start-local.mjs";

const entry = fileURLToPath(new URL("./container-report-worker.mjs", import.meta.url));
copyFileSync(new URL("../../container/worker.mjs", import.meta.url), entry);
const running = [];
after(() => Promise.all(running.map((w) => w.close())));

async function start(config, env = {}) {
  const lines = [];
  const worker = await startLocalWorker({
    entry,
    bindings: { ...env, CONTAINER_CONFIG: config },
    miniflare: {
      handleRuntimeStdio(stdout, stderr) {
        for (const stream of [stdout, stderr]) createInterface({ input: stream }).on("line", (l) => lines.push(l));
      },
    },
  });
  running.push(worker);
  return { url: worker.origin, lines };
}

async function until(check) {
  // Bounded by the test runner's timeout, not a wall-clock assert.
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

test("a bad config: logged on the first request (not before), /readyz names each error", async () => {
  const config = JSON.stringify({
    tags: [{ name: "main", pixelId: "1234567890", graphBaseURL: "http://127.0.0.1:1", testEventcode: "T1" }],
    allowedOrigins: ["https://www.example.com"],
    eventTokens: ["workerd-event-token-0123456789"],
  });
  const w = await start(config);
  assert.ok(!w.lines.some((l) => l.includes("omni-meta-capi config")), "nothing before a request");
  const hit = await fetch(`${w.url}/g/collect?v=2&tid=G-X&cid=1.2&en=page_view`);
  assert.equal(hit.status, 503);
  await hit.body?.cancel();
  await until(() => w.lines.some((l) => l.includes("config warning")));
  const log = w.lines.join("\n");
  assert.match(log, /omni-meta-capi config error tags\[0\]\.accessToken: .*/);
  assert.match(log, /omni-meta-capi config warning tags\[0\]\.graphBaseURL: .*did you mean "graphBaseUrl"\?/);
  assert.match(log, /omni-meta-capi config warning tags\[0\]\.testEventcode: .*did you mean "testEventCode"\?/);
  const ready = await fetch(`${w.url}/readyz`);
  assert.equal(ready.status, 503);
  const body = await ready.json();
  assert.match(body.error.message, /tags\[0\]\.accessToken: /);
  // Once per isolate.
  await (await fetch(`${w.url}/healthz`)).body?.cancel();
  assert.equal(w.lines.filter((l) => l.includes("config error tags[0].accessToken")).length, 1);
});

test("malformed CONTAINER_CONFIG (a .dev.vars value in double quotes): the JSON error with line and column", async () => {
  const w = await start('{\n  "tags": [{ "pixelId": "1" }],\n  allowedOrigins: []\n}', { META_ACCESS_TOKEN: "t" });
  const ready = await fetch(`${w.url}/readyz`);
  assert.equal(ready.status, 503);
  const { error } = await ready.json();
  assert.match(error.message, /config: the container config is not valid JSON: .* at line 3, column 3/);
  await until(() => w.lines.some((l) => l.includes("config error")));
  assert.match(w.lines.join("\n"), /omni-meta-capi config error config: the container config is not valid JSON: .*line 3, column 3/);
  assert.doesNotMatch(w.lines.join("\n"), /must be an object/);
});
