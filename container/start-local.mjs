// Runs the container Worker locally in real workerd (Miniflare), on a host port, exactly as
// `wrangler deploy` would bundle it. For tests, the demo and load measurements.
//
//   import { startContainerWorker } from "./container/start-local.mjs";
//   const w = await startContainerWorker({ config: {...}, env: { META_ACCESS_TOKEN: "..." } });
//   fetch(`${w.url}/g/collect?...`); ...; await w.close();
import { fileURLToPath } from "node:url";
import { startLocalWorker } from "../identity/start-local.mjs";

const WORKER = fileURLToPath(new URL("./worker.mjs", import.meta.url));

/**
 * @param {{ config: object | string, env?: Record<string, string>, port?: number, host?: string,
 *           entry?: string }} options  entry: the Worker module (default container/worker.mjs; the
 *           package tests pass a copy next to the installed package, so that one is bundled)
 * @returns {Promise<{ url: string, mf: import("miniflare").Miniflare, close(): Promise<void> }>}
 */
export async function startContainerWorker({ config, env = {}, port = 0, host = "127.0.0.1", entry = WORKER }) {
  const CONTAINER_CONFIG = typeof config === "string" ? config : JSON.stringify(config);
  const worker = await startLocalWorker({ entry, bindings: { ...env, CONTAINER_CONFIG }, port, host });
  return { url: worker.origin, mf: worker.mf, close: worker.close };
}
