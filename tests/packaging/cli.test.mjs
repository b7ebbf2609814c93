// The package's bin, run as a user runs it: `omni-meta-capi normalize` over stdin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("./node_modules/.bin/omni-meta-capi", import.meta.url));

function run(args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

test("normalize: one line out per line in, in order", async () => {
  const input = [
    { field: "em", value: " John@Example.com " },
    { field: "ph", value: "+1 (650) 555-1212" },
    { field: "ge", value: "unknown" },
    { field: "client_user_agent", value: "Mozilla/5.0" },
  ].map((l) => JSON.stringify(l)).join("\n");
  const { code, stdout } = await run(["normalize"], input);
  assert.equal(code, 0);
  const rows = stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(rows.length, 4);
  assert.deepEqual(rows[0], {
    field: "em", value: " John@Example.com ", normalized: "john@example.com",
    hash: "855f96e983f1f8e8be944692b6f719fd54329826cb62e98015efee8e2e071dd4",
  });
  assert.equal(rows[1].normalized, "16505551212");
  assert.equal(rows[2].normalized, null);
  assert.equal(rows[2].hash, null);
  assert.equal(rows[2].reason, "unknown_gender");
  assert.equal(rows[3].hash, null);
});

test("malformed lines and unknown fields give numbered error lines; the rest goes on; exit 1", async () => {
  const input = '{"field":"em","value":"a@b.co"}\n{not json\n\n{"field":"shoe_size","value":"9"}\n{"field":"fn","value":"Zoë"}\n';
  const { code, stdout } = await run(["normalize"], input);
  assert.equal(code, 1);
  const rows = stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(rows.length, 4);
  assert.equal(rows[1].line, 2);
  assert.match(rows[1].error, /malformed JSON/);
  assert.equal(rows[2].line, 4);
  assert.match(rows[2].error, /unknown field "shoe_size"/);
  assert.equal(rows[3].normalized, "zoë");
});

test("large input streams through in order", async () => {
  const n = 120_000;
  const lines = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify({ field: "external_id", value: `ID ${i}` }));
  const { code, stdout } = await run(["normalize"], lines.join("\n") + "\n");
  assert.equal(code, 0);
  const out = stdout.trimEnd().split("\n");
  assert.equal(out.length, n);
  assert.equal(JSON.parse(out[n - 1]).normalized, `id${n - 1}`);
  assert.equal(JSON.parse(out[54321]).normalized, "id54321");
});

test("unknown command: one line pointing to --help, exit 1 (a usage error)", async () => {
  const { code, stderr } = await run(["frobnicate"], "");
  assert.equal(code, 1);
  assert.equal(stderr, "omni-meta-capi: unknown command frobnicate (see omni-meta-capi --help)\n");
});
