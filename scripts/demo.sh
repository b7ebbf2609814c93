#!/usr/bin/env bash
# The main job on the embedded default: set up and build if needed, start the local Meta CAPI
# sandbox (loopback), run realistic sGTM events through the tag (build -> send with retries) and
# print what was sent, hashed and answered, with timings. Nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh all
[ -f pkg/omni_meta_capi_bg.wasm ] && [ -z "$(find src crates Cargo.toml wasm-pack.toml js -newer pkg/omni_meta_capi_bg.wasm -print -quit)" ] \
  || node scripts/build.mjs
echo "== end to end: sample sGTM events -> tag (build, send, retry) -> local Meta CAPI sandbox"
node scripts/demo.mjs
