// Browsers through a bundler that does not follow `new URL("x.wasm", import.meta.url)` (esbuild):
// the host says where the .wasm is, e.g. `import wasmUrl from "omni-meta-capi/wasm"` with
// esbuild's file loader for .wasm. Same API as the main entry.
import init, * as wasm from "../pkg/omni_meta_capi.js";
import { makeApi } from "./api.mjs";

/** Load the wasm from `wasmUrl` (a URL, a Response or the bytes) and return the package's API. */
export async function load(wasmUrl) {
  await init({ module_or_path: wasmUrl });
  return makeApi(wasm);
}
