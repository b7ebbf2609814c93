// The package's TypeScript declarations, as a TypeScript user gets them from the tarball.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

test("the declarations type-check real usage under tsc --strict", () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const file = fileURLToPath(new URL("./types-check.ts", import.meta.url));
  const r = spawnSync(process.execPath, [tsc, "--strict", "--noEmit", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", "false", file], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
