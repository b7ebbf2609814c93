// The local Meta CAPI sandbox in a worker thread (its own event loop, like Meta on another
// machine): with the sender and the sandbox on one event loop, both CPU-bound, a load test would
// measure its own congestion. Driven by messages: call(op, ...args) -> the op's value.
import { once } from "node:events";
import { Worker } from "node:worker_threads";

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
import(workerData.module).then(async ({ startMetaSandbox }) => {
  const sb = await startMetaSandbox(workerData.options);
  const ops = {
    injectFaults: (list) => sb.injectFaults(list),
    clearFaults: () => sb.clearFaults(),
    reset: () => sb.reset(),
    pendingFaults: () => sb.pendingFaults,
    attempts: () => sb.attempts,
    requests: () => sb.received.length,
    receivedIds: () => sb.received.flatMap((r) => r.events.map((e) => e.event_id)),
    close: () => sb.close(),
  };
  parentPort.on("message", async ({ id, op, args }) => {
    try {
      parentPort.postMessage({ id, value: await ops[op](...args) });
    } catch (e) {
      parentPort.postMessage({ id, error: String(e && e.stack || e) });
    }
  });
  parentPort.postMessage({ url: sb.url });
});
`;

/** `startMetaSandbox(options)` in a worker: `{url, call(op, ...args), close()}`. */
export async function startSandboxWorker(options) {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { module: new URL("../../sandbox/meta-sandbox.mjs", import.meta.url).href, options },
  });
  let calls = 0;
  const pending = new Map();
  worker.on("message", (m) => {
    if (m.url) return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error) p.reject(new Error(m.error));
    else p.resolve(m.value);
  });
  const [{ url }] = await once(worker, "message");
  const call = (op, ...args) =>
    new Promise((resolve, reject) => {
      const id = ++calls;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, args });
    });
  return {
    url,
    call,
    async close() {
      await call("close");
      await worker.terminate();
    },
  };
}
