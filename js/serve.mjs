// The server container on Node: node:http in front of createContainer's `answer` (the same
// handler the Worker reaches through `fetch`, without a web Request/Response per hit).
// Background runs are tracked so that close() can drain them.
import { createServer } from "node:http";
import { createContainer } from "./node.mjs";
import { openHistory, openOutbox } from "./outbox.mjs";

/** The body as text, reading at most `max` bytes (then `tooLarge`, the rest drained unread). */
function readBody(req, max) {
  return new Promise((resolve) => {
    if (req.method === "GET" || req.method === "HEAD" || Number(req.headers["content-length"]) > max) {
      const tooLarge = Number(req.headers["content-length"]) > max;
      req.resume();
      return resolve({ body: "", tooLarge });
    }
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > max) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve({ body: tooLarge ? "" : Buffer.concat(chunks).toString("utf8"), tooLarge }));
    req.on("error", () => resolve({ body: "", tooLarge: true }));
  });
}

/** node:http straight to the container's `answer` (no web Request/Response objects per hit). */
async function handle(container, req, res, origin) {
  let url;
  try {
    url = new URL(req.url ?? "/", origin).href;
  } catch {
    req.resume();
    res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"code":"bad_request","message":"unreadable request URL or Host"}}');
    return;
  }
  const read = await readBody(req, container.maxBodyBytes);
  const headers = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  // The socket's address; CF-Connecting-IP or X-Forwarded-For count only as trustProxy says.
  const out = await container.answer({ method: req.method, url, headers, ...read }, { remoteAddress: req.socket.remoteAddress });
  const head = {};
  for (const [name, value] of out.headers) {
    if (name === "set-cookie") (head[name] ??= []).push(value);
    else head[name] = value;
  }
  res.writeHead(out.status, head);
  res.end(out.status === 204 ? undefined : out.body);
}

/** The config with `queue.path` set to `file` (JSON text that does not parse is left as is). */
function withQueue(config, file) {
  if (!file) return config;
  let parsed = config;
  if (typeof config === "string") {
    try {
      parsed = JSON.parse(config);
    } catch {
      return config;
    }
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return config;
  return { ...parsed, queue: { ...(parsed.queue ?? {}), path: file } };
}

/**
 * Start the container on a port. `config`: the container config (object or JSON text); `env`:
 * secrets and overrides (default process.env); `queue`: a SQLite file for durable delivery (or
 * the config's `queue.path`); `options`: createContainer's (log, onResult, fetch).
 * @returns {Promise<{ url: string, port: number, container, close(): Promise<void> }>}
 */
export async function serve({ config, env = process.env, port = 8080, host = "127.0.0.1", queue, options = {} } = {}) {
  const container = createContainer(withQueue(config, queue), env, { openOutbox, openHistory, alertIntervalMs: 60_000, ...options });
  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host ?? `${host}:${port}`}`;
    handle(container, req, res, origin).catch(() => res.destroy());
  });
  // Keep-alive connections are what a load of small hits wants; bound idle ones.
  server.keepAliveTimeout = 5000;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const actual = server.address().port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${actual}`,
    port: actual,
    container,
    /** Stop accepting, then wait for the background runs (events already accepted go out, or
     * stay in the queue for the next start). */
    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections?.();
      });
      await container.close();
    },
  };
}
