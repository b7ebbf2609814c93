import type * as api from "./index.js";

/** Load the wasm from where the bundler put it and return the package's API. */
export function load(wasm: string | URL | Response | BufferSource): Promise<typeof api>;
