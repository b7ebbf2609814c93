// Cloudflare Workers (the "workerd" export condition). workerd forbids compiling wasm from bytes:
// the .wasm import arrives precompiled (wrangler's CompiledWasm rule) and is instantiated here,
// in global scope, as Cloudflare recommends.
import wasmModule from "../pkg/omni_meta_capi_bg.wasm";
import * as wasm from "../pkg/omni_meta_capi.js";
import { makeApi } from "./api.mjs";

wasm.initSync({ module: wasmModule });

export const { createTag, createContainer, doctor, normalize, hashUserData, hashUserDataBatch, normalizeLines } = makeApi(wasm);
export { MonitorHistory, durableObjectHistory } from "./history.mjs";
