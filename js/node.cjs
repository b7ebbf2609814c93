// Node, CommonJS: the same glue and API shim, converted to CJS at build time.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const wasm = require("../pkg/omni_meta_capi.cjs");
const { makeApi } = require("../pkg/api.cjs");

wasm.initSync({ module: readFileSync(join(__dirname, "../pkg/omni_meta_capi_bg.wasm")) });

module.exports = makeApi(wasm);
