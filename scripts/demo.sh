#!/usr/bin/env bash
# The main job on the embedded default: set up and build if needed, then (1) normalize and hash
# the sample PII file through the package's CLI, (2) build the Meta request for a sample GA4
# purchase (sGTM event data + request context) and print it. Nothing is sent anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh all
[ -f pkg/omni_meta_capi_bg.wasm ] && [ -z "$(find src crates Cargo.toml wasm-pack.toml js -newer pkg/omni_meta_capi_bg.wasm -print -quit)" ] \
  || node scripts/build.mjs
echo "== omni-meta-capi normalize --summary examples/sample-pii.jsonl"
node js/cli.mjs normalize --summary examples/sample-pii.jsonl
echo
echo "== omni-meta-capi build --config examples/tag.json --event examples/purchase-event.json --request examples/request.json"
node js/cli.mjs build --config examples/tag.json --event examples/purchase-event.json --request examples/request.json
