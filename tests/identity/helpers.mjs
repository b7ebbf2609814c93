// Shared by the identity service tests: a running service, and requests to it over real sockets.
let seq = 0;
export const unique = (prefix) => `${prefix}-${process.pid}-${Date.now()}-${++seq}`;

/** Calls on one service with one token. */
export function client(svc, token) {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const call = async (method, path, body) => {
    const res = await fetch(`${svc.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  const ok = async (r) => {
    const got = await r;
    if (got.status !== 200) throw new Error(`HTTP ${got.status}: ${JSON.stringify(got.body)}`);
    return got.body.data;
  };
  return {
    call,
    /** A visit (count mode): { uuid, email, count_prev_visits }. */
    visit: (trust, fields) => ok(call("POST", "/identifier", { platform: "web", count_prev_visits: true, trust, ...fields })),
    /** A journal read: { uuid, journal }. */
    journal: (trust, fields) => ok(call("POST", "/identifier", { platform: "web", trust, ...fields })),
    erase: (fields) => call("POST", "/erase", fields),
    stats: () => ok(call("GET", "/stats")),
    person: (uuid) => call("GET", `/person/${uuid}`),
  };
}
