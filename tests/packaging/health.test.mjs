// Health checks over real sockets: the installed `omni-meta-capi doctor` command against the
// local Meta sandbox and the identity service (healthy, expired token, wrong pixel, identity
// down, malformed config), and the container's /readyz on Node (upstream checks, cached).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { doctor } from "omni-meta-capi";
import { serve } from "omni-meta-capi/serve";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";
import { startIdentityService } from "../../identity/start-local.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const CLI = fileURLToPath(new URL("./node_modules/omni-meta-capi/js/cli.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "omni-doctor-"));
let sandbox;
let identity;

before(async () => {
  [sandbox, identity] = await Promise.all([
    startMetaSandbox({ tokens: { "1234567890": "EAAB-example-token" } }),
    startIdentityService({ token: "doctor-id-token" }),
  ]);
});
after(async () => {
  sandbox?.close();
  await identity?.close();
});

const healthy = () => ({
  ...fixture("tag.json"),
  graphBaseUrl: sandbox.url,
  identity: { enabled: true, endpoint: identity.url, token: "doctor-id-token" },
});

/** Run the installed CLI's doctor on a config (object, or raw text); resolves {code, stdout}. */
function runDoctor(config, extra = []) {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof config === "string" ? config : JSON.stringify(config));
  const child = spawn(process.execPath, [CLI, "doctor", "--config", path, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}

test("doctor: a healthy config passes every check", async () => {
  sandbox.reset();
  const { code, stdout } = await runDoctor(healthy());
  assert.equal(code, 0, stdout);
  const lines = stdout.trim().split("\n");
  assert.deepEqual(lines.map((l) => l.slice(0, 4)), ["PASS", "PASS", "PASS", "PASS", "PASS", "all "]);
  assert.match(stdout, /PASS {2}token \(pixel 1234567890\): the access token can read pixel 1234567890/);
  assert.match(stdout, /PASS {2}test_event: Meta accepted the test event/);
  assert.match(stdout, /PASS {2}identity: the identity service answers and accepts the token/);
  assert.match(stdout, /PASS {2}clock: local clock \d+ s (ahead of|behind) Meta's/);
  assert.equal(sandbox.received.length, 1, "one test event");
  assert.equal(sandbox.received[0].testEventCode, "TEST12345");
  assert.ok(sandbox.attempts.length >= 2 && sandbox.attempts.every((a) => !a.tokenInUrl), "the token never travels in a URL");
  assert.ok(!stdout.includes("EAAB-example-token") && !stdout.includes("doctor-id-token"));
});

test("doctor: each broken part fails with its message, a fix and exit status 2", async () => {
  const cases = [
    [{ accessToken: "EXPIRED" }, /FAIL {2}token \(pixel 1234567890\): the access token has expired/, /fix: create a new token/],
    [{ accessToken: "EAAB-wrong" }, /FAIL {2}token \(pixel 1234567890\): the access token is not valid/, /fix: check accessToken/],
    [{ pixelId: "999000" }, /FAIL {2}token \(pixel 999000\): the pixel does not exist or this token cannot access it/, /fix: check pixelId/],
    [{ identity: { enabled: true, endpoint: "http://127.0.0.1:9/api/v1", token: "x" } }, /FAIL {2}identity: the identity service is unreachable/, /fix: check identity.endpoint/],
    [{ identity: { enabled: true, endpoint: identity.url, token: "wrong" } }, /FAIL {2}identity: the identity service refuses the token \(HTTP 401\)/, /fix: check identity.token/],
    [{ errorMonitor: { endpoint: "http://127.0.0.1:9/monitor" } }, /FAIL {2}error_monitor: the error monitor is unreachable/, /fix: check errorMonitor.endpoint/],
  ];
  for (const [change, failure, fix] of cases) {
    const { code, stdout } = await runDoctor({ ...healthy(), ...change });
    assert.equal(code, 2, stdout);
    assert.match(stdout, failure);
    assert.match(stdout, fix);
    assert.match(stdout, /check\(s\) failed\n$/);
    assert.ok(!/Bearer|EAAB-wrong/.test(stdout), "no token echoed");
  }
});

test("doctor: a malformed or invalid config fails the config check and nothing is sent", async () => {
  sandbox.reset();
  const broken = await runDoctor("{ not json");
  assert.equal(broken.code, 2);
  assert.match(broken.stdout, /^FAIL {2}config: 1 error\(s\): the config is not valid JSON/);
  const invalid = await runDoctor({ pixelId: "not-a-number" }, ["--json"]);
  assert.equal(invalid.code, 2);
  const result = JSON.parse(invalid.stdout);
  assert.equal(result.ok, false);
  assert.deepEqual(result.checks.map((c) => [c.check, c.status]), [["config", "fail"]]);
  assert.match(result.checks[0].message, /pixelId/);
  assert.equal(sandbox.attempts.length, 0, "no probe for a config that does not read");
  const missing = await runDoctor({}, ["--config"]);
  assert.equal(missing.code, 1, "usage error");
});

test("doctor() in the package: warns on a skewed clock", async () => {
  const skewed = await startMetaSandbox({ tokens: { "1234567890": "EAAB-example-token" }, clockSkewMs: 150_000 });
  try {
    const { testEventCode, ...noTestCode } = fixture("tag.json");
    const result = await doctor({ ...noTestCode, graphBaseUrl: skewed.url });
    assert.equal(result.ok, true, "a warning is not a failure");
    const byName = Object.fromEntries(result.checks.map((c) => [c.check, c]));
    assert.equal(byName.clock.status, "warn");
    assert.match(byName.clock.message, /local clock 1[45]\d s behind Meta's/);
    assert.equal(byName.test_event.status, "skip");
  } finally {
    skewed.close();
  }
});

test("/readyz on Node: upstream checks, cached for readyCacheMs, 503 naming what is broken", async () => {
  const config = (token) => ({
    tags: [{ name: "main", ...healthy(), accessToken: token }],
    readyCacheMs: 1500, // long enough that the second call surely falls inside it
  });
  const server = await serve({ config: config("EAAB-example-token"), env: {}, port: 0, options: { log: () => {} } });
  try {
    sandbox.reset();
    const first = await fetch(`${server.url}/readyz`);
    assert.equal(first.status, 200);
    const body = await first.json();
    assert.equal(body.ready, true);
    assert.deepEqual(body.tags[0].checks.map((c) => [c.check, c.status]), [["token (pixel 1234567890)", "pass"], ["identity", "pass"]]);
    const probes = sandbox.attempts.length;
    assert.equal(probes, 1);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    assert.equal(sandbox.attempts.length, probes, "cached: no new probe");
    await new Promise((r) => setTimeout(r, 1600));
    await (await fetch(`${server.url}/readyz`)).body?.cancel();
    assert.equal(sandbox.attempts.length, probes + 1, "expired: probed again");
    assert.equal(await (await fetch(`${server.url}/healthz`)).text(), "ok", "/healthz never probes");
    assert.equal(sandbox.attempts.length, probes + 1);
  } finally {
    await server.close();
  }
  const sick = await serve({ config: config("EXPIRED"), env: {}, port: 0, options: { log: () => {} } });
  try {
    const res = await fetch(`${sick.url}/readyz`);
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.ready, false);
    assert.match(body.tags[0].checks[0].message, /the access token has expired/);
    assert.ok(!JSON.stringify(body).includes("EXPIRED"), "no token in the answer");
  } finally {
    await sick.close();
  }
});
