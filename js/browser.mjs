// Browsers and bundlers: fetch the .wasm that sits next to the glue (top-level await).
import init, * as wasm from "../pkg/omni_meta_capi.js";
import { makeApi } from "./api.mjs";

await init({ module_or_path: new URL("../pkg/omni_meta_capi_bg.wasm", import.meta.url) });

export const { createTag, createContainer, doctor, normalize, hashUserData, hashUserDataBatch, normalizeLines } = makeApi(wasm);
export { MonitorHistory, durableObjectHistory } from "./history.mjs";
