// The container Worker through wrangler itself, pinned to 4.86.0 (the last release that runs on
// Node 20): `wrangler deploy --dry-run` bundles it (sizes printed), and `wrangler dev` with
// container/.dev.vars.example takes an authenticated /event to the local Meta sandbox.
// wrangler is installed into target/wrangler on first use (from the npm cache when offline);
// when it cannot be installed the tests are skipped, saying why.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";

const WRANGLER_VERSION = "4.86.0";
const repo = fileURLToPath(new URL("../../", import.meta.url));
const prefix = join(repo, "target/wrangler");
const wrangler = join(prefix, "node_modules/.bin/wrangler");
const project = fileURLToPath(new URL("./wrangler-project/", import.meta.url));
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_UPDATE_NOTIFIER: "1", WRANGLER_LOG_PATH: join(project, "logs") };
let why = null;

before(() => {
  const installed = existsSync(wrangler) && spawnSync(wrangler, ["--version"], { encoding: "utf8", env }).stdout.trim() === WRANGLER_VERSION;
  if (!installed) {
    mkdirSync(prefix, { recursive: true });
    const r = spawnSync("npm", ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", `wrangler@${WRANGLER_VERSION}`], { encoding: "utf8" });
    if (r.status !== 0) why = `wrangler@${WRANGLER_VERSION} could not be installed: ${(r.stderr || "").trim().split("\n").pop()}`;
  }
  // The project sits beside node_modules, so "omni-meta-capi" is the installed tarball.
  mkdirSync(project, { recursive: true });
  copyFileSync(join(repo, "container/worker.mjs"), join(project, "worker.mjs"));
  copyFileSync(join(repo, "container/wrangler.toml"), join(project, "wrangler.toml"));
});

test("wrangler deploy --dry-run bundles the Worker with its .wasm (sizes printed)", (t) => {
  if (why) return t.skip(why);
  const r = spawnSync(wrangler, ["deploy", "--dry-run", "--outdir", "dist"], { cwd: project, encoding: "utf8", env });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const total = /Total Upload: ([\d.]+ KiB) \/ gzip: ([\d.]+ KiB)/.exec(r.stdout);
  assert.ok(total, r.stdout);
  const files = readdirSync(join(project, "dist"));
  const wasm = files.find((f) => f.endsWith(".wasm"));
  assert.ok(wasm && files.includes("worker.js"), files.join(", "));
  const js = readFileSync(join(project, "dist/worker.js"));
  t.diagnostic(`wrangler ${WRANGLER_VERSION} deploy --dry-run: total ${total[1]} (gzip ${total[2]}); worker.js ${js.length} B (gzip ${gzipSync(js).length} B), ${wasm.replace(/^[0-9a-f]+-/, "")} ${statSync(join(project, "dist", wasm)).size} B`);
});

let sandbox;
let dev;
after(async () => {
  dev?.kill("SIGTERM");
  await sandbox?.close();
});

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

test("wrangler dev with .dev.vars.example: an authenticated /event reaches the sandbox", async (t) => {
  if (why) return t.skip(why);
  sandbox = await startMetaSandbox({ tokens: { "1234567890": "sandbox-token" } });
  const vars = readFileSync(join(repo, "container/.dev.vars.example"), "utf8").replace("http://127.0.0.1:4100", sandbox.url);
  writeFileSync(join(project, ".dev.vars"), vars);
  const port = await freePort();
  dev = spawn(wrangler, ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort())], { cwd: project, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  await new Promise((resolve, reject) => {
    const look = (d) => {
      out += d;
      if (/Ready on http/.test(out)) resolve();
    };
    dev.stdout.on("data", look);
    dev.stderr.on("data", look);
    dev.once("exit", (code) => reject(new Error(`wrangler dev exited ${code}: ${out}`)));
  });
  const token = /EVENT_TOKENS=(\S+)/.exec(vars)[1];
  const res = await fetch(`http://127.0.0.1:${port}/event`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ event_name: "generate_lead", email: "dev@example.com", page_location: "http://localhost:8787/", user_agent: "Mozilla/5.0 (wrangler dev test)" }),
  });
  assert.ok(res.status >= 200 && res.status < 300, `${res.status} ${await res.text()}`);
  while (sandbox.received.length === 0) await new Promise((r) => setTimeout(r, 50));
  assert.equal(sandbox.received[0].events[0].event_name, "Lead");
  assert.equal(sandbox.received[0].testEventCode, "TEST12345");
  assert.ok(!out.includes("sandbox-token"), "wrangler dev's output has no token");
});
