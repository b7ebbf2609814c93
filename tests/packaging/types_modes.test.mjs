// The tarball's declarations under every module resolution a consumer may use: node16 and
// nodenext (ESM and CommonJS), bundler and node10, each a scratch project beside the installed
// package, checked with tsc --strict. Each project also has a line that must not type-check
// (@ts-expect-error), so types that silently resolved to `any` fail the test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const here = fileURLToPath(new URL(".", import.meta.url));

const USE = `
const tag = createTag({ pixelId: "1234567890", accessToken: "token", testEventCode: "TEST1" });
const built = tag.build({ event_name: "purchase" }, {}, { now: Date.now() });
const status: "ready" | "invalid" | "skipped" = built.status;
const valid: boolean = tag.configReport.valid;
// @ts-expect-error: status is a string
const wrong: number = built.status;
void wrong;
export { status, valid };
`;

const SERVE = `
export async function start() {
  const server = await serve({ config: { tags: [] }, port: 0 });
  const url: string = server.url;
  // @ts-expect-error: port is a number
  await serve({ config: {}, port: "8080" });
  return url;
}
`;

const MODES = [
  { name: "node16-esm", type: "module", options: { module: "node16", moduleResolution: "node16" },
    code: `import { createTag } from "omni-meta-capi";\nimport { serve } from "omni-meta-capi/serve";\n${USE}${SERVE}` },
  { name: "node16-cjs", type: "commonjs", options: { module: "node16", moduleResolution: "node16" },
    code: `import { createTag } from "omni-meta-capi";\nimport omni = require("omni-meta-capi");\nconst again: typeof createTag = omni.createTag;\nexport { again };\n${USE}` },
  { name: "nodenext-esm", type: "module", options: { module: "nodenext", moduleResolution: "nodenext" },
    code: `import { createTag } from "omni-meta-capi";\nimport { serve } from "omni-meta-capi/serve";\n${USE}${SERVE}` },
  { name: "nodenext-cjs", type: "commonjs", options: { module: "nodenext", moduleResolution: "nodenext" },
    code: `import { createTag } from "omni-meta-capi";\n${USE}\n// The ESM-only entry, from CommonJS, by dynamic import.\nexport const serveModule = import("omni-meta-capi/serve").then((m) => m.serve);\n` },
  { name: "bundler", type: "module", options: { module: "esnext", moduleResolution: "bundler" },
    code: `import { createTag } from "omni-meta-capi";\nimport { serve } from "omni-meta-capi/serve";\n${USE}${SERVE}` },
  { name: "node10", type: "commonjs", options: { module: "commonjs", moduleResolution: "node10", ignoreDeprecations: "5.0" },
    code: `import { createTag } from "omni-meta-capi";\nimport { serve } from "omni-meta-capi/serve";\n${USE}${SERVE}` },
];

for (const mode of MODES) {
  test(`types resolve and check under ${mode.name}`, () => {
    const dir = join(here, `types-${mode.name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true, type: mode.type }));
    writeFileSync(join(dir, "use.ts"), mode.code);
    const tsconfig = {
      compilerOptions: { ...mode.options, target: "es2022", lib: ["es2022", "dom"], strict: true, noEmit: true, skipLibCheck: false, types: [] },
      files: ["use.ts"],
    };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
    const r = spawnSync(process.execPath, [tsc, "-p", dir, "--traceResolution"], { encoding: "utf8" });
    const errors = r.stdout.split("\n").filter((l) => /error TS/.test(l));
    assert.deepEqual(errors, [], `${mode.name}:\n${errors.join("\n")}`);
    assert.equal(r.status, 0);
    // The CommonJS projects must get the .d.cts (a CJS file given the ESM .d.ts fails: TS1479).
    const resolved = /Module name 'omni-meta-capi' was successfully resolved to '([^']+)'/.exec(r.stdout)?.[1];
    if (mode.type === "commonjs" && mode.name !== "node10") assert.match(resolved, /index\.d\.cts$/);
    else assert.match(resolved, /index\.d\.ts$/);
  });
}
