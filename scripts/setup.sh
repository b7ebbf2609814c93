#!/usr/bin/env bash
# One-time (and cheap when repeated) set-up of everything the build and the tests need:
# the wasm32 Rust target, wasm-bindgen-cli and wasm-pack, Chromium + ChromeDriver, npm packages.
# Every step checks first and does nothing when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
say() { printf '[setup] %s\n' "$*" >&2; }
export PATH="$HOME/.cargo/bin:$PATH"

# The toolchain that builds wasm32: rustup's default when it has the target (an ordinary laptop),
# else Debian's Rust linked into rustup as "debian-wasm" (see ../shared/docs/wasm-toolchain.md).
WASM_TOOLCHAIN_FILE="$ROOT/target/.wasm-toolchain"
mkdir -p "$ROOT/target"

has_wasm_std() { # $1: toolchain name ("" = default)
  local libdir
  libdir=$(RUSTUP_TOOLCHAIN="${1:-}" rustc --target wasm32-unknown-unknown --print target-libdir 2>/dev/null) || return 1
  ls "$libdir"/libcore-*.rlib >/dev/null 2>&1
}

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

setup_wasm_target() {
  # OMNI_WASM_FALLBACK=1 forces the Debian route (to test it where rustup works).
  if [ -z "${OMNI_WASM_FALLBACK:-}" ]; then
    if has_wasm_std ""; then echo "" >"$WASM_TOOLCHAIN_FILE"; return; fi
    if has_wasm_std debian-wasm; then echo debian-wasm >"$WASM_TOOLCHAIN_FILE"; return; fi
    say "trying rustup target add wasm32-unknown-unknown (60 s limit)"
    if timeout 60 rustup target add wasm32-unknown-unknown >&2 2>&1 && has_wasm_std ""; then
      echo "" >"$WASM_TOOLCHAIN_FILE"; return
    fi
  elif has_wasm_std debian-wasm; then echo debian-wasm >"$WASM_TOOLCHAIN_FILE"; return
  fi
  say "rustup cannot fetch the target: building wasm32 std from Debian's Rust source"
  [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust/library ] && command -v wasm-ld-19 >/dev/null \
    || apt_install rustc-web cargo-web rust-web-src lld-19
  local tmp libdir
  tmp=$(mktemp -d)
  mkdir -p "$tmp/src" && : >"$tmp/src/lib.rs"
  printf '[package]\nname = "stdbuild"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n' >"$tmp/Cargo.toml"
  (cd "$tmp" && RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo build -q --release \
     --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort,panic_unwind,test,proc_macro >&2)
  libdir=/usr/lib/rustlib/wasm32-unknown-unknown/lib
  mkdir -p "$libdir"
  find "$tmp/target/wasm32-unknown-unknown/release/deps" -name 'lib*.rlib' ! -name 'libstdbuild-*' -exec cp {} "$libdir/" \;
  rm -rf "$tmp"
  ln -sf /usr/bin/wasm-ld-19 /usr/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld 2>/dev/null || {
    mkdir -p /usr/lib/rustlib/x86_64-unknown-linux-gnu/bin
    ln -sf /usr/bin/wasm-ld-19 /usr/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld; }
  rustup toolchain link debian-wasm /usr >&2
  has_wasm_std debian-wasm || { say "wasm32 std still missing"; exit 1; }
  echo debian-wasm >"$WASM_TOOLCHAIN_FILE"
}

# wasm-bindgen-cli must equal the wasm-bindgen version pinned in Cargo.toml (=0.2.x).
setup_wasm_tools() {
  local want
  want=$(sed -n 's/^wasm-bindgen *= *{* *[^"]*"=\([0-9.]*\)".*/\1/p' Cargo.toml | head -1)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (a few minutes)"
    cargo install -q wasm-bindgen-cli --version "$want" --force >&2
  fi
  if ! command -v wasm-pack >/dev/null; then
    say "installing wasm-pack (a few minutes)"
    cargo install -q wasm-pack >&2
  fi
}

setup_browser() {
  command -v chromium >/dev/null && command -v chromedriver >/dev/null && return
  say "installing Debian's chromium and chromium-driver"
  apt_install chromium chromium-driver
}

setup_npm() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
}

# Fuzzing (scripts/fuzz.sh and the smoke in scripts/test.sh): nightly Rust and cargo-fuzz.
# Best effort: a machine whose rustup cannot fetch a toolchain still builds and tests; the fuzz
# smoke then says it was skipped (scripts/test.sh).
setup_fuzz() {
  if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    say "installing nightly Rust (minimal profile) for cargo-fuzz (120 s limit)"
    timeout 120 rustup toolchain install nightly --profile minimal >&2 \
      || { say "nightly Rust could not be installed: no fuzzing here"; return 0; }
  fi
  if ! command -v cargo-fuzz >/dev/null; then
    say "installing cargo-fuzz (a few minutes)"
    cargo install -q cargo-fuzz >&2 || say "cargo-fuzz could not be installed: no fuzzing here"
  fi
}

case "${1:-all}" in
  wasm) setup_wasm_target; setup_wasm_tools ;;
  fuzz) setup_fuzz ;;
  all) setup_wasm_target; setup_wasm_tools; setup_browser; setup_npm; setup_fuzz ;;
  *) say "usage: setup.sh [all|wasm|fuzz]"; exit 2 ;;
esac
