// The installed CLI's conventions, run as a user runs it: per-command --help/-h on stdout with
// exit 0, --version, --flag=value, unknown flags and bad values refused in one line, the exit
// codes of the help text, "did you mean" for config keys, doctor WARN and --strict, the sandbox
// command, and serve's line on SIGTERM.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("./node_modules/.bin/omni-meta-capi", import.meta.url));
const pkgDir = fileURLToPath(new URL("./node_modules/omni-meta-capi/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "omni-cli-"));
const COMMANDS = ["normalize", "build", "send", "doctor", "serve", "queue", "identity", "sandbox"];

function run(args, { input = "", env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Start a long-running command; resolves when `ready` matches its output. */
function start(args, ready, env = {}) {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  const matched = new Promise((resolve, reject) => {
    const look = (d) => {
      out += d;
      const m = out.match(ready);
      if (m) resolve(m);
    };
    child.stdout.setEncoding("utf8").on("data", look);
    child.stderr.setEncoding("utf8").on("data", look);
    exited.then((code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return { child, matched, exited, output: () => out };
}

let sandbox;
before(async () => {
  sandbox = start(["sandbox", "--port=0", "--token", "1234567890=EAAB-example-token"], /^(http:\/\/127\.0\.0\.1:\d+)$/m);
  await sandbox.matched;
});
after(() => sandbox?.child.kill("SIGTERM"));
const sandboxUrl = async () => (await sandbox.matched)[1];

function writeJson(name, value) {
  const path = join(dir, name);
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
}

test("--help and -h on every command: usage on stdout, exit 0, nothing on stderr", async () => {
  for (const command of COMMANDS) {
    for (const flag of ["--help", "-h"]) {
      const { code, stdout, stderr } = await run([command, flag]);
      assert.equal(code, 0, `${command} ${flag}: ${stderr}`);
      assert.match(stdout, new RegExp(`^usage: omni-meta-capi ${command}`), command);
      assert.match(stdout, /exit status/);
      assert.equal(stderr, "");
    }
  }
  const help = await run(["help", "send"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--events FILE/);
  const general = await run(["--help"]);
  assert.equal(general.code, 0);
  for (const command of COMMANDS) assert.match(general.stdout, new RegExp(`omni-meta-capi ${command}`));
});

test("--version prints the package's version", async () => {
  const { version } = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  for (const flag of ["--version", "-v"]) {
    const { code, stdout } = await run([flag]);
    assert.equal(code, 0);
    assert.equal(stdout, `${version}\n`);
  }
});

test("unknown commands, unknown flags and bad values: one line with a pointer to --help, exit 1", async () => {
  const config = writeJson("tag.json", { pixelId: "1234567890", accessToken: "EAAB-example-token", graphBaseUrl: await sandboxUrl() });
  const event = writeJson("event.json", { event_name: "purchase" });
  const cases = [
    [["nope"], /unknown command nope \(see omni-meta-capi --help\)/],
    [["build", "--config", config, "--event", event, "--evnet", "foo"], /unknown option --evnet \(see omni-meta-capi build --help\)/],
    [["normalize", "--help-me"], /unknown option --help-me/],
    [["build", "--config"], /--config needs a value/],
    [["build", "--config", config, "--event", event, "--now", "yesterday"], /bad --now yesterday/],
    [["build", "--config", config, "--event", event, "--now", "2026-13-45T00:00:00Z"], /bad --now/],
    [["build", "--config", config, "--event", event, "--now", "1.5e12"], /bad --now 1\.5e12/],
    [["build", "--config", config, "--event", event, "--now=-1"], /bad --now -1/],
    [["build", "--config", config, "--event", event, "--now", "22/05/2025"], /bad --now/],
    [["build", "--config", config], /needs --event/],
    [["serve", "--config", config, "--port", "99999"], /bad --port 99999/],
    [["queue", "stats", "--queue", config, "--limit", "-3"], /--limit/],
    [["queue", "explode", "--queue", config], /needs stats, list, retry or purge/],
    [["identity", "erase", "--endpoint", "http://127.0.0.1:1", "--emial", "a@b.co"], /unknown option --emial/],
    [["send", "--config", config, "--event", event, "--dry-run"], /--dry-run goes with --events/],
    [["send", "--config", config, "--events", join(dir, "missing.csv")], /cannot read events .*ENOENT/],
    [["build", "--config", join(dir, "missing.json"), "--event", event], /cannot read config .*ENOENT/],
    [["build", "--config", writeJson("broken.json", "{\n  \"pixelId\": 1,\n}"), "--event", event], /not valid JSON/],
    [["doctor", "extra-positional"], /unexpected argument extra-positional/],
  ];
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await run(args);
    assert.equal(code, 1, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, message, args.join(" "));
    assert.equal(stderr.trim().split("\n").length, 1, `one line for ${args.join(" ")}: ${stderr}`);
    assert.equal(stdout, "");
  }
  // No command at all: the general usage on stderr, exit 1.
  const bare = await run([]);
  assert.equal(bare.code, 1);
  assert.match(bare.stderr, /^usage: omni-meta-capi/);
});

test("--flag=value works like --flag value; --now takes ISO 8601 and epoch seconds or milliseconds", async () => {
  const config = writeJson("tag2.json", { pixelId: "1234567890", accessToken: "EAAB-example-token", actionSource: "system_generated" });
  const event = writeJson("event2.json", { event_name: "purchase", value: 10, currency: "EUR", email: "a@example.com", event_time: 1767225600 });
  const times = [];
  for (const args of [
    ["--config", config, "--event", event, "--now", "1767229200"],
    [`--config=${config}`, `--event=${event}`, "--now=1767229200000"],
    [`--config=${config}`, `--event=${event}`, "--now=2026-01-01T01:00:00Z"],
    [`--config=${config}`, `--event=${event}`, "--now=2026-01-01T02:00:00+01:00"],
  ]) {
    const { code, stdout, stderr } = await run(["build", ...args]);
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout);
    times.push(JSON.parse(out.requests[0].body).data[0].event_time);
  }
  // The event's own time is kept and it was valid at each --now (not in the future, not too old).
  assert.deepEqual(times, [1767225600, 1767225600, 1767225600, 1767225600]);
  // An event without a time of its own gets --now (issue 13: it used to become event_time 0).
  const timeless = writeJson("event3.json", { event_name: "purchase", value: 10, currency: "EUR", email: "a@example.com" });
  const built = await run(["build", "--config", config, "--event", timeless, "--now", "2025-05-22T20:30:30Z"]);
  assert.equal(built.code, 0, built.stderr);
  assert.equal(JSON.parse(JSON.parse(built.stdout).requests[0].body).data[0].event_time, 1747945830);
  // An --now a year later makes the same event too old: the clock was really taken from --now.
  const late = await run(["build", `--config=${config}`, `--event=${event}`, "--now=2027-01-01T00:00:00Z"]);
  assert.equal(late.code, 2);
  assert.match(late.stdout, /event_time/);
});

test("exit codes as documented: build 0/2/3, send 0/2/4, doctor 0/2", async () => {
  const url = await sandboxUrl();
  const good = writeJson("good.json", { pixelId: "1234567890", accessToken: "EAAB-example-token", graphBaseUrl: url, actionSource: "system_generated" });
  const consent = writeJson("consent.json", { pixelId: "1234567890", accessToken: "EAAB-example-token", graphBaseUrl: url, actionSource: "system_generated", consent: { requireAdStorage: true, whenMissing: "skip" } });
  const wrongToken = writeJson("wrong.json", { pixelId: "1234567890", accessToken: "EAAB-wrong", graphBaseUrl: url, actionSource: "system_generated" });
  const event = writeJson("ok-event.json", { event_name: "lead", email: "a@example.com" });
  const invalid = writeJson("bad-event.json", { event_name: "purchase" });
  assert.equal((await run(["build", "--config", good, "--event", event])).code, 0);
  assert.equal((await run(["build", "--config", good, "--event", invalid])).code, 2);
  assert.equal((await run(["build", "--config", consent, "--event", event])).code, 3);
  assert.equal((await run(["send", "--config", good, "--event", event])).code, 0);
  assert.equal((await run(["send", "--config", good, "--event", invalid])).code, 2);
  assert.equal((await run(["send", "--config", wrongToken, "--event", event])).code, 4);
  assert.equal((await run(["doctor", "--config", good])).code, 0);
  assert.equal((await run(["doctor", "--config", wrongToken])).code, 2);
});

test("config mistakes: did you mean, doctor WARN (not PASS), --strict and strict: true fail, http:// off this machine warns", async () => {
  const url = await sandboxUrl();
  const typos = { pixelId: "1234567890", accessToken: "EAAB-example-token", graphBaseUrl: url, graphBaseURL: url, testEventcode: "T1" };
  const path = writeJson("typos.json", typos);
  const warned = await run(["doctor", "--config", path]);
  assert.equal(warned.code, 0, warned.stdout);
  assert.match(warned.stdout, /WARN\s+config/);
  assert.doesNotMatch(warned.stdout, /PASS\s+config/);
  assert.match(warned.stdout, /"graphBaseURL" is ignored; did you mean "graphBaseUrl"\?/);
  assert.match(warned.stdout, /"testEventcode" is ignored; did you mean "testEventCode"\?/);

  const strict = await run(["doctor", "--config", path, "--strict"]);
  assert.equal(strict.code, 2);
  assert.match(strict.stdout, /FAIL\s+config/);
  const inConfig = await run(["doctor", "--config", writeJson("strict.json", { ...typos, strict: true })]);
  assert.equal(inConfig.code, 2);
  const event = writeJson("lead.json", { event_name: "lead", email: "a@example.com", action_source: "system_generated" });
  const build = await run(["build", "--config", writeJson("strict.json", { ...typos, strict: true }), "--event", event]);
  assert.equal(build.code, 2, "a strict config builds nothing");
  assert.match(build.stdout, /did you mean/);

  const clear = { pixelId: "1234567890", accessToken: "EAAB-example-token", graphBaseUrl: "http://graph.example.net", identity: { enabled: true, endpoint: "http://id.example.net/api/v1", token: "t" } };
  const built = await run(["build", "--config", writeJson("clear.json", clear), "--event", event]);
  const warnings = JSON.parse(built.stdout).report.warnings.filter((w) => w.code === "config.cleartext_endpoint").map((w) => w.field);
  assert.deepEqual(warnings.sort(), ["graphBaseUrl", "identity.endpoint"]);
  assert.ok(!built.stdout.includes("EAAB-example-token") || JSON.parse(built.stdout).requests.every((r) => !r.url.includes("EAAB")));

  // JSON syntax errors name the line and column.
  const bad = await run(["doctor", "--config", writeJson("syntax.json", "{\n  \"pixelId\": \"1\",\n  \"accessToken\" \"x\"\n}")]);
  assert.equal(bad.code, 2);
  assert.match(bad.stdout, /not valid JSON: .*line 3, column 17/);
});

test("serve: a port in use exits 1 in one line; SIGTERM says it drains", async () => {
  const busy = createServer();
  await new Promise((resolve) => busy.listen(0, "127.0.0.1", resolve));
  const { port } = busy.address();
  const config = writeJson("container.json", { pixelId: "1234567890", accessToken: "EAAB-example-token", graphBaseUrl: await sandboxUrl(), eventTokens: ["a-long-enough-event-token-0123456789"] });
  const inUse = await run(["serve", "--config", config, "--port", String(port)]);
  busy.close();
  assert.equal(inUse.code, 1);
  assert.match(inUse.stderr, /cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
  assert.equal(inUse.stderr.trim().split("\n").length, 1);

  const served = start(["serve", "--config", config, "--port=0"], /listening on (http:\/\/\S+)/);
  await served.matched;
  served.child.kill("SIGTERM");
  assert.equal(await served.exited, 0, served.output());
  assert.match(served.output(), /SIGTERM: sending the events already accepted/);
  assert.match(served.output(), /stopped/);
});

test("the library is quiet by default: tag.run prints no INFO record", async () => {
  const script = `
    import { createTag } from "omni-meta-capi";
    const tag = createTag({ pixelId: "1234567890", accessToken: "EAAB-example-token", graphBaseUrl: ${JSON.stringify(await sandboxUrl())}, actionSource: "system_generated" });
    const ok = await tag.run({ event_name: "lead", email: "a@example.com" });
    const refused = await createTag({ pixelId: "1234567890", accessToken: "EAAB-wrong", graphBaseUrl: ${JSON.stringify(await sandboxUrl())}, actionSource: "system_generated" })
      .run({ event_name: "lead", email: "a@example.com" });
    process.exitCode = ok.status === "accepted" && refused.status === "rejected" && ok.logs.length > 0 ? 0 : 3;`;
  const path = join(fileURLToPath(new URL(".", import.meta.url)), "quiet-check.mjs");
  writeFileSync(path, script);
  const child = spawn(process.execPath, [path], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  assert.equal(await new Promise((resolve) => child.once("exit", resolve)), 0, stderr);
  assert.equal(stdout, "", "nothing on stdout");
  const records = stderr.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  assert.ok(records.length >= 1, "the rejection's ERROR record is on stderr");
  assert.ok(records.every((r) => r.level === "ERROR"), stderr);
  assert.ok(!stderr.includes("EAAB-wrong"), "no token in the log");
});
