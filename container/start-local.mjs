// Runs the container Worker locally in real workerd (Miniflare), on a host port, exactly as
// `wrangler deploy` would bundle it. For tests, the demo and load measurements.
//
//   import { startContainerWorker } from "./container/start-local.mjs";
//   const w = await startContainerWorker({ config: {...}, env: { META_ACCESS_TOKEN: "..." } });
//   fetch(`${w.url}/g/collect?...`); ...; await w.close();
import { Miniflare } from "miniflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleWorker } from "../identity/start-local.mjs";

const WORKER = fileURLToPath(new URL("./worker.mjs", import.meta.url));

/**
 * @param {{ config: object | string, env?: Record<string, string>, port?: number, host?: string,
 *           entry?: string }} options  entry: the Worker module (default container/worker.mjs; the
 *           package tests pass a copy next to the installed package, so that one is bundled)
 * @returns {Promise<{ url: string, mf: Miniflare, close(): Promise<void> }>}
 */
export async function startContainerWorker({ config, env = {}, port = 0, host = "127.0.0.1", entry = WORKER }) {
  const outdir = mkdtempSync(join(tmpdir(), "omni-container-"));
  let mf;
  try {
    const scriptPath = await bundleWorker(outdir, entry);
    mf = new Miniflare({
      modules: true,
      scriptPath,
      modulesRoot: outdir,
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
      compatibilityDate: "2026-04-01",
      bindings: { ...env, CONTAINER_CONFIG: typeof config === "string" ? config : JSON.stringify(config) },
      host,
      port,
    });
    const ready = await mf.ready;
    return {
      url: ready.origin,
      mf,
      async close() {
        await mf.dispose();
        rmSync(outdir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (mf) await mf.dispose().catch(() => {});
    rmSync(outdir, { recursive: true, force: true });
    throw err;
  }
}
