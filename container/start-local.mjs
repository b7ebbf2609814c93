// Runs the container Worker locally in real workerd (Miniflare), on a host port, exactly as
// `wrangler deploy` would bundle it. For tests, the demo and load measurements.
//
//   import { startContainerWorker } from "./container/start-local.mjs";
//   const w = await startContainerWorker({ config: {...}, env: { META_ACCESS_TOKEN: "..." } });
//   fetch(`${w.url}/g/collect?...`); ...; await w.close();
//
// With Cloudflare Queues (Miniflare runs them in-process, as wrangler.toml configures them):
//   startContainerWorker({ config, env, queues: { retryDelay: 1 } })
import { fileURLToPath } from "node:url";
import { startLocalWorker } from "../identity/start-local.mjs";

const WORKER = fileURLToPath(new URL("./worker.mjs", import.meta.url));

/**
 * Miniflare's queue options for what wrangler.toml declares: EVENTS_QUEUE and DEAD_LETTERS
 * producers, this Worker consuming the events queue (and, with `consumeDeadLetters`, the
 * dead-letter queue too: only for a test wrapper that records them, since Miniflare drops messages
 * sent to a queue nobody consumes). The defaults are wrangler.toml's; a test shortens the delays.
 * @param {{ name?: string, deadLetterName?: string, maxBatchSize?: number, maxBatchTimeout?: number,
 *           maxRetries?: number, retryDelay?: number, deadLetters?: boolean,
 *           consumeDeadLetters?: boolean }} [q]
 *   deadLetters: false leaves out the DEAD_LETTERS producer (dead events then reach the
 *   dead-letter queue through max_retries).
 */
export function queueOptions({
  name = "omni-events",
  deadLetterName = "omni-events-dead",
  maxBatchSize = 100,
  maxBatchTimeout = 5,
  maxRetries = 100,
  retryDelay = 30,
  deadLetters = true,
  consumeDeadLetters = false,
} = {}) {
  const queueProducers = { EVENTS_QUEUE: { queueName: name } };
  if (deadLetters) queueProducers.DEAD_LETTERS = { queueName: deadLetterName };
  const queueConsumers = {
    [name]: { maxBatchSize, maxBatchTimeout, maxRetries, retryDelay, deadLetterQueue: deadLetterName },
  };
  if (consumeDeadLetters) queueConsumers[deadLetterName] = { maxBatchSize: 100, maxBatchTimeout: 1 };
  return { miniflare: { queueProducers, queueConsumers }, vars: { DEAD_LETTER_QUEUE_NAME: deadLetterName } };
}

/**
 * @param {{ config: object | string, env?: Record<string, string>, port?: number, host?: string,
 *           entry?: string, queues?: object, miniflare?: object }} options
 *   entry: the Worker module (default container/worker.mjs; the package tests pass a copy next to
 *   the installed package, so that one is bundled). queues: Cloudflare Queues as `queueOptions`
 *   takes them (omitted: no queue bindings, the Worker's waitUntil best effort). miniflare: more
 *   Miniflare options (e.g. queueProducers / queueConsumers of your own).
 * @returns {Promise<{ url: string, mf: import("miniflare").Miniflare, close(): Promise<void> }>}
 */
export async function startContainerWorker({ config, env = {}, port = 0, host = "127.0.0.1", entry = WORKER, queues, miniflare = {} }) {
  const CONTAINER_CONFIG = typeof config === "string" ? config : JSON.stringify(config);
  const q = queues ? queueOptions(queues) : { miniflare: {}, vars: {} };
  const worker = await startLocalWorker({
    entry,
    bindings: { ...q.vars, ...env, CONTAINER_CONFIG },
    port,
    host,
    miniflare: { ...q.miniflare, ...miniflare },
  });
  return { url: worker.origin, mf: worker.mf, close: worker.close };
}
