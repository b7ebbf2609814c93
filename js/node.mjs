// Node, ESM: compile the wasm from the file next to the glue, synchronously at import.
import { readFileSync } from "node:fs";
import * as wasm from "../pkg/omni_meta_capi.js";
import { makeApi } from "./api.mjs";

wasm.initSync({ module: readFileSync(new URL("../pkg/omni_meta_capi_bg.wasm", import.meta.url)) });

export const { createTag, createContainer, doctor, normalize, hashUserData, hashUserDataBatch, normalizeLines, offlineEvents } = makeApi(wasm);
export { MonitorHistory, durableObjectHistory } from "./history.mjs";
