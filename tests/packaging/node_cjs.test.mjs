// The installed package through require() (exports condition "node" -> "require").
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

test("a CommonJS program requires the package", () => {
  const script = fileURLToPath(new URL("./cjs_smoke.cjs", import.meta.url));
  const out = JSON.parse(execFileSync(process.execPath, [script], { encoding: "utf8" }));
  assert.equal(out.single, "08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c");
  assert.equal(out.batch, "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f");
});

test("require resolves to the CommonJS entry", () => {
  const require = createRequire(import.meta.url);
  assert.match(require.resolve("omni-meta-capi"), /js[\\/]node\.cjs$/);
  assert.equal(require("omni-meta-capi").normalize("ct", "São Paulo").normalized, "sopaulo");
});
