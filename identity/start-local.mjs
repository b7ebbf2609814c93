// Runs the identity service locally in real workerd (Miniflare) with a SQLite-backed D1,
// listening on a host port so other processes can call it over a real socket.
//
//   import { startIdentityService } from "./identity/start-local.mjs";
//   const svc = await startIdentityService({ token: "secret" });   // svc.url = http://127.0.0.1:PORT/api/v1
//   ...; await svc.close();
//
// Or from a shell:  IDENTITY_TOKEN=secret PORT=8788 node identity/start-local.mjs [--persist DIR]
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { applyMigrations } from "./migrate.mjs";

const WORKER = fileURLToPath(new URL("./worker.mjs", import.meta.url));

// Bundles a Worker the way wrangler does: esbuild, conditions workerd/worker/browser, the .wasm
// kept as its own module (loaded as CompiledWasm by Miniflare). Also used for the container.
export async function bundleWorker(outdir, entry = WORKER) {
  await build({
    entryPoints: [entry],
    entryNames: "worker", // whatever the entry's file name: worker.js
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    loader: { ".wasm": "copy" },
    outdir,
    logLevel: "error",
  });
  return join(outdir, "worker.js");
}

/**
 * Bundle a Worker module and run it in workerd (Miniflare) on a host port; the identity service
 * and the server container (container/start-local.mjs) both start this way.
 * @param {{ entry: string, bindings: object, port?: number, host?: string, miniflare?: object }} options
 *   miniflare: extra Miniflare options (e.g. D1 databases).
 * @returns {Promise<{ origin: string, mf: Miniflare, close(): Promise<void> }>}
 */
export async function startLocalWorker({ entry, bindings, port = 0, host = "127.0.0.1", miniflare = {} }) {
  const outdir = mkdtempSync(join(tmpdir(), "omni-worker-"));
  let mf;
  const cleanup = async () => {
    if (mf) await mf.dispose().catch(() => {});
    rmSync(outdir, { recursive: true, force: true });
  };
  try {
    const scriptPath = await bundleWorker(outdir, entry);
    mf = new Miniflare({
      modules: true,
      scriptPath,
      modulesRoot: outdir,
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
      compatibilityDate: "2026-04-01",
      bindings,
      host,
      port,
      ...miniflare,
    });
    const ready = await mf.ready; // a URL on host:port
    return { origin: ready.origin, mf, close: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * @param {{ token?: string, tokens?: Record<string, string[]>, port?: number, host?: string,
 *           persistDir?: string, rateLimit?: number, rateLimitWindow?: number,
 *           vars?: Record<string, string | number>, anonRateLimiter?: { limit: number, period: 10 | 60 } }} options
 *   token: one token with every scope (IDENTITY_TOKEN); tokens: {"<token>": ["resolve", ...]}
 *   (IDENTITY_TOKENS); at least one of them. vars: more of the Worker's vars (RETENTION_DAYS,
 *   MERGE_MIN_TRUST, ...). anonRateLimiter: a Workers Rate Limiting binding ANON_RATE_LIMITER.
 *   onLog: receives each line the Worker logs (console.*), instead of workerd's stdout/stderr.
 *   persistDir: keep the D1 SQLite files there (default: in memory, gone on close()).
 * @returns {Promise<{ url: string, origin: string, mf: Miniflare, db: any,
 *           scheduled(time?: number): Promise<void>, close(): Promise<void> }>}
 *   scheduled: run the Cron Trigger's handler (retention) as of `time` (ms, default now).
 */
export async function startIdentityService({ token, tokens, port = 0, host = "127.0.0.1", persistDir, rateLimit, rateLimitWindow, vars = {}, anonRateLimiter, onLog } = {}) {
  const hasToken = typeof token === "string" && token !== "";
  if (!hasToken && (tokens === undefined || Object.keys(tokens).length === 0)) throw new TypeError("startIdentityService: token or tokens is required");
  const bindings = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)]));
  if (hasToken) bindings.IDENTITY_TOKEN = token;
  if (tokens !== undefined) bindings.IDENTITY_TOKENS = JSON.stringify(tokens);
  if (rateLimit !== undefined) bindings.RATE_LIMIT = String(rateLimit);
  if (rateLimitWindow !== undefined) bindings.RATE_LIMIT_WINDOW = String(rateLimitWindow);
  const miniflare = { d1Databases: { DB: "omni-identity-local" }, d1Persist: persistDir ? resolve(persistDir) : false };
  if (onLog) {
    miniflare.handleRuntimeStdio = (stdout, stderr) => {
      for (const stream of [stdout, stderr]) createInterface({ input: stream }).on("line", onLog);
    };
  }
  if (anonRateLimiter) miniflare.ratelimits = { ANON_RATE_LIMITER: { namespace_id: "1001", simple: anonRateLimiter } };
  const worker = await startLocalWorker({ entry: WORKER, bindings, port, host, miniflare });
  try {
    const db = await worker.mf.getD1Database("DB");
    await applyMigrations(db);
    const scheduled = async (time = Date.now()) => {
      const fetcher = await worker.mf.getWorker();
      await fetcher.scheduled({ scheduledTime: new Date(time), cron: "0 * * * *" });
    };
    return { url: `${worker.origin}/api/v1`, origin: worker.origin, mf: worker.mf, db, scheduled, close: worker.close };
  } catch (err) {
    await worker.close();
    throw err;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const token = process.env.IDENTITY_TOKEN;
  const tokens = process.env.IDENTITY_TOKENS ? JSON.parse(process.env.IDENTITY_TOKENS) : undefined;
  if (!token && !tokens) {
    console.error('set IDENTITY_TOKEN (every scope) and/or IDENTITY_TOKENS (JSON {"<token>": ["resolve", "journal:read"]})');
    process.exit(2);
  }
  const i = process.argv.indexOf("--persist");
  const svc = await startIdentityService({ token, tokens, port: Number(process.env.PORT || 0), persistDir: i > 0 ? process.argv[i + 1] : undefined });
  console.log(`omni identity service: ${svc.url}  (health: ${svc.origin}/healthz)`);
  const stop = async () => {
    await svc.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
