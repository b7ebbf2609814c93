#!/usr/bin/env node
// Builds the wasm package into pkg/ following the profile in wasm-pack.toml:
// wasm-pack (web glue) -> wasm-opt (npm binaryen) -> a CommonJS copy of the glue and of the API
// shim for `require` users (esbuild). Run scripts/setup.sh first (scripts/test.sh does).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const profile = readProfile(join(root, "wasm-pack.toml"));
const { target, out_dir: outDir, out_name: outName, profile: cargoProfile } = profile.build;

/** The small TOML subset wasm-pack.toml uses: [sections], strings, booleans, string arrays. */
function readProfile(path) {
  const out = {};
  let section = out;
  for (const raw of readFileSync(path, "utf8").split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) continue;
    const header = line.match(/^\[(\w+)\]$/);
    if (header) {
      section = out[header[1]] = {};
      continue;
    }
    const kv = line.match(/^(\w+)\s*=\s*(.+)$/);
    if (!kv) throw new Error(`wasm-pack.toml: cannot read line: ${raw}`);
    section[kv[1]] = JSON.parse(kv[2]);
  }
  return out;
}

function run(cmd, args, env = {}) {
  console.error(`[build] ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
}

// The toolchain that has the wasm32 std (written by scripts/setup.sh; empty = rustup default).
const toolchainFile = join(root, "target/.wasm-toolchain");
const toolchain = existsSync(toolchainFile) ? readFileSync(toolchainFile, "utf8").trim() : "";
const env = toolchain ? { RUSTUP_TOOLCHAIN: toolchain } : {};

run("wasm-pack", ["build", `--${cargoProfile}`, "--mode", "no-install", "--no-pack",
  "--target", target, "--out-dir", outDir, "--out-name", outName], env);

const pkg = join(root, outDir);
const wasm = join(pkg, `${outName}_bg.wasm`);
if (profile.optimize?.enabled) {
  const before = statSync(wasm).size;
  run(join(root, "node_modules/.bin/wasm-opt"), [...profile.optimize.wasm_opt_args, wasm, "-o", wasm]);
  console.error(`[build] wasm-opt: ${before} -> ${statSync(wasm).size} bytes`);
}

const esbuild = join(root, "node_modules/.bin/esbuild");
run(esbuild, [join(outDir, `${outName}.js`), "--format=cjs", "--log-level=error",
  `--outfile=${join(outDir, `${outName}.cjs`)}`]);
// The API shim and the modules it imports (the container's host side), as one CJS file.
run(esbuild, ["js/api.mjs", "--bundle", "--platform=neutral", "--format=cjs", "--log-level=error", `--outfile=${join(outDir, "api.cjs")}`]);

// Declarations for `require` (TS1479: a CommonJS consumer cannot take the ESM .d.ts): the same
// text as .d.cts, so that TypeScript reads them as CommonJS.
for (const name of ["index", "config"]) {
  const text = readFileSync(join(root, "js", `${name}.d.ts`), "utf8").replaceAll('"./config.js"', '"./config.cjs"');
  writeFileSync(join(pkg, `${name}.d.cts`), text);
}

// wasm-pack's .gitignore ("*") would make `npm pack` leave pkg/ out of the tarball.
rmSync(join(pkg, ".gitignore"), { force: true });

const bytes = readFileSync(wasm);
console.error(`[build] ${outName}_bg.wasm: ${bytes.length} bytes raw, ${gzipSync(bytes, { level: 9 }).length} bytes gzipped`);
