#!/usr/bin/env bash
# The main job on the embedded default: set up and build if needed, then normalize and hash the
# sample PII file through the package's CLI and print the result.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh all
[ -f pkg/omni_meta_capi_bg.wasm ] && [ -z "$(find src Cargo.toml wasm-pack.toml js -newer pkg/omni_meta_capi_bg.wasm -print -quit)" ] \
  || node scripts/build.mjs
echo "== omni-meta-capi normalize --summary examples/sample-pii.jsonl"
node js/cli.mjs normalize --summary examples/sample-pii.jsonl
