// The server container on Node: node:http in front of createContainer (the same host-agnostic
// handler the Worker uses). Background runs are tracked so that close() can drain them.
import { createServer } from "node:http";
import { Readable } from "node:stream";
import { createContainer } from "./node.mjs";

/** node:http request -> a web Request (the body streamed, not buffered here). */
function toRequest(req, origin) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", origin), {
    method: req.method,
    headers,
    body: hasBody ? Readable.toWeb(req) : undefined,
    duplex: hasBody ? "half" : undefined,
  });
}

async function writeResponse(res, response) {
  const headers = {};
  for (const [name, value] of response.headers) if (name !== "set-cookie") headers[name] = value;
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  res.writeHead(response.status, headers);
  res.end(body);
}

/**
 * Start the container on a port. `config`: the container config (object or JSON text); `env`:
 * secrets and overrides (default process.env); `options`: createContainer's (log, onResult, fetch).
 * @returns {Promise<{ url: string, port: number, container, close(): Promise<void> }>}
 */
export async function serve({ config, env = process.env, port = 8080, host = "127.0.0.1", options = {} } = {}) {
  const container = createContainer(config, env, options);
  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host ?? `${host}:${port}`}`;
    let request;
    try {
      request = toRequest(req, origin);
    } catch {
      res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"code":"bad_request","message":"unreadable request"}}');
      return;
    }
    container
      .fetch(request, { remoteAddress: req.socket.remoteAddress })
      .then((response) => writeResponse(res, response))
      .catch(() => res.destroy());
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
    /** Stop accepting, then wait for the background runs (events already accepted go out). */
    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections?.();
      });
      await container.idle();
    },
  };
}
