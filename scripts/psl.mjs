#!/usr/bin/env node
// Regenerates crates/core/src/support/psl/rules.bin, the Public Suffix List (ICANN and private sections) in
// the compact form crates/core/src/support/psl.rs reads, from a maintained copy of the list:
//   - by default the `psl` crate's data/rules.txt (a dev-dependency, republished by its authors
//     daily from publicsuffix.org): `cargo update -p psl && node scripts/psl.mjs`;
//   - or any public_suffix_list.dat given as the first argument.
// Format (all ASCII, see psl.rs): rules with non-ASCII labels in punycode, labels reversed
// (`co.uk` -> `uk.co`), an exception rule marked by a trailing `!` (`!www.ck` -> `ck.www!`),
// a wildcard kept as the label `*` (`*.ck` -> `ck.*`); sorted bytewise; front-coded in blocks of
// BLOCK entries (each entry: one byte = bytes shared with the previous entry, then the rest,
// then `\n`; every BLOCK-th entry shares nothing). No index: psl.rs finds the restart points.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, domainToASCII } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const BLOCK = 16;

function cratePath() {
  const meta = JSON.parse(
    execFileSync("cargo", ["metadata", "--format-version", "1"], { cwd: root, maxBuffer: 1 << 26 }),
  );
  const pkg = meta.packages.find((p) => p.name === "psl");
  if (!pkg) throw new Error("the psl crate is not in the dependency graph (crates/core/Cargo.toml dev-dependencies)");
  return { path: join(dirname(pkg.manifest_path), "data/rules.txt"), source: `psl crate ${pkg.version}` };
}

function asciiLabel(label) {
  if (label === "*" || /^[\x21-\x7e]+$/.test(label)) return label.toLowerCase();
  const ascii = domainToASCII(label);
  if (!ascii) throw new Error(`cannot convert label to punycode: ${label}`);
  return ascii;
}

function entry(rule) {
  const exception = rule.startsWith("!");
  const labels = (exception ? rule.slice(1) : rule).split(".").map(asciiLabel);
  return labels.reverse().join(".") + (exception ? "!" : "");
}

const { path, source } = process.argv[2]
  ? { path: process.argv[2], source: process.argv[2] }
  : cratePath();
const rules = readFileSync(path, "utf8")
  .split("\n")
  .map((l) => l.trim().split(/\s/)[0])
  .filter((l) => l && !l.startsWith("//"));
const entries = [...new Set(rules.map(entry))].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
for (const e of entries) {
  if (e.includes("\n") || e.length > 255) throw new Error(`unusable rule: ${e}`);
}

// Front coding: each entry shares a prefix with the one before, except every BLOCK-th (a
// restart point, where crates/core/src/support/psl.rs's binary search starts decoding).
const data = [];
let prev = "";
entries.forEach((e, i) => {
  if (i % BLOCK === 0) prev = "";
  let shared = 0;
  while (shared < prev.length && shared < e.length && prev[shared] === e[shared]) shared++;
  data.push(Buffer.concat([Buffer.from([shared]), Buffer.from(e.slice(shared)), Buffer.from("\n")]));
  prev = e;
});
const out = Buffer.concat(data);
writeFileSync(join(root, "crates/core/src/support/psl/rules.bin"), out);
writeFileSync(
  join(root, "crates/core/src/support/psl/SOURCE"),
  `${source}: ${rules.length} rules, ${entries.length} entries, ${out.length} bytes (scripts/psl.mjs)\n`,
);
console.error(`[psl] ${source}: ${entries.length} entries -> crates/core/src/support/psl/rules.bin (${out.length} bytes)`);
