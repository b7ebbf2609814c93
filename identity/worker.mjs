// Omni-Identity-compatible identity service: a Cloudflare Worker on D1.
// API: ../../shared/docs/omni-identity-api.md (POST /api/v1/identifier), plus GET /healthz and
// GET /api/v1/person/<uuid> (alias resolution). Design and merge rule: identity/README.md.
//
// Bindings: DB (D1), IDENTITY_TOKEN (secret), optional RATE_LIMIT (requests per window, default 600)
// and RATE_LIMIT_WINDOW (seconds, default 60).
import { normalize } from "omni-meta-capi";

const MAX_BODY = 64 * 1024;
const MAX_FIELD = 1024;
const PAYLOAD_FIELDS = ["anonymous_id", "platform", "email", "phone", "fbclid", "gaclid", "valuation_properties"];
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

class HttpError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const ok = (data, headers = {}) => new Response(JSON.stringify({ success: true, data }), { status: 200, headers: { ...JSON_HEADERS, ...headers } });
const fail = (status, code, message, headers = {}) =>
  new Response(JSON.stringify({ success: false, error: { message, code } }), { status, headers: { ...JSON_HEADERS, ...headers } });

export default {
  async fetch(request, env) {
    let rateHeaders = {};
    try {
      const url = new URL(request.url);
      const path = url.pathname.replace(/\/+$/, "") || "/";
      if (path === "/healthz") {
        if (request.method !== "GET" && request.method !== "HEAD") throw new HttpError(405, "METHOD_NOT_ALLOWED", "use GET", { allow: "GET, HEAD" });
        return await health(env);
      }
      const personMatch = /^\/api\/v1\/person\/([^/]+)$/.exec(path);
      if (path !== "/api/v1/identifier" && !personMatch) throw new HttpError(404, "NOT_FOUND", "no such endpoint");
      const allowed = personMatch ? "GET" : "POST";
      if (request.method !== allowed) throw new HttpError(405, "METHOD_NOT_ALLOWED", `use ${allowed}`, { allow: allowed });

      const tokenKey = await authenticate(request, env);
      rateHeaders = await rateLimit(env, tokenKey);

      if (personMatch) return ok(await resolvePerson(env.DB, decodeURIComponent(personMatch[1])), rateHeaders);
      const body = await readJsonBody(request);
      return ok(await identify(env.DB, body), rateHeaders);
    } catch (err) {
      if (err instanceof HttpError) return fail(err.status, err.code, err.message, { ...rateHeaders, ...err.headers });
      console.error("identity: internal error", err && err.stack ? err.stack : err);
      return fail(500, "INTERNAL_ERROR", "internal server error", rateHeaders);
    }
  },
};

async function health(env) {
  try {
    await env.DB.prepare("SELECT 1 FROM persons LIMIT 1").all();
    return new Response(JSON.stringify({ status: "ok" }), { headers: JSON_HEADERS });
  } catch {
    return new Response(JSON.stringify({ status: "error", message: "database unavailable or not migrated" }), { status: 503, headers: JSON_HEADERS });
  }
}

// --- auth and rate limiting ---

async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

async function authenticate(request, env) {
  if (typeof env.IDENTITY_TOKEN !== "string" || env.IDENTITY_TOKEN === "") {
    throw new HttpError(500, "MISCONFIGURED", "the service has no IDENTITY_TOKEN configured");
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") || "");
  if (!m) throw new HttpError(401, "UNAUTHORIZED", "missing bearer token", { "www-authenticate": 'Bearer realm="omni-identity"' });
  // Compare fixed-length digests in constant time.
  const [given, expected] = await Promise.all([sha256(m[1]), sha256(env.IDENTITY_TOKEN)]);
  let diff = 0;
  for (let i = 0; i < given.length; i++) diff |= given[i] ^ expected[i];
  if (diff !== 0) throw new HttpError(401, "UNAUTHORIZED", "invalid bearer token", { "www-authenticate": 'Bearer realm="omni-identity", error="invalid_token"' });
  return hex(given);
}

// Fixed window per token, counted in D1 (so it holds across isolates): window = floor(now / W) * W.
async function rateLimit(env, tokenKey) {
  const limit = positiveInt(env.RATE_LIMIT, 600);
  const windowSec = positiveInt(env.RATE_LIMIT_WINDOW, 60);
  const nowSec = Math.floor(Date.now() / 1000);
  const start = nowSec - (nowSec % windowSec);
  const [, upsert] = await env.DB.batch([
    env.DB.prepare("DELETE FROM rate_limits WHERE key = ?1 AND window_start < ?2").bind(tokenKey, start),
    env.DB.prepare(
      "INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1) " +
        "ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count",
    ).bind(tokenKey, start),
  ]);
  const count = upsert.results[0].count;
  const reset = start + windowSec;
  const headers = {
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": String(Math.max(0, limit - count)),
    "x-ratelimit-reset": String(reset),
  };
  if (count > limit) throw new HttpError(429, "RATE_LIMITED", "too many requests", { ...headers, "retry-after": String(Math.max(1, reset - nowSec)) });
  return headers;
}

function positiveInt(value, fallback) {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

// --- request parsing ---

async function readJsonBody(request) {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > MAX_BODY) throw new HttpError(413, "PAYLOAD_TOO_LARGE", `body exceeds ${MAX_BODY} bytes`);
  const chunks = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY) {
        reader.cancel().catch(() => {});
        throw new HttpError(413, "PAYLOAD_TOO_LARGE", `body exceeds ${MAX_BODY} bytes`);
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) bytes.set(c, (at += c.byteLength) - c.byteLength);
  let body;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, "INVALID_JSON", "the body is not valid JSON");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "INVALID_BODY", "the body must be a JSON object");
  return body;
}

function optionalString(body, field) {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new HttpError(400, "INVALID_PARAMETER", `${field} must be a string`);
  if (v.length > MAX_FIELD) throw new HttpError(400, "INVALID_PARAMETER", `${field} is longer than ${MAX_FIELD} characters`);
  return v;
}

// Validates the body; returns { identifiers: [[kind, value]], payload, countMode }.
function parseIdentifierRequest(body) {
  const anonymousId = optionalString(body, "anonymous_id");
  const email = optionalString(body, "email");
  const phone = optionalString(body, "phone");
  for (const f of ["platform", "fbclid", "gaclid"]) optionalString(body, f);
  const vp = body.valuation_properties;
  if (vp !== undefined && vp !== null && (typeof vp !== "object" || Array.isArray(vp))) {
    throw new HttpError(400, "INVALID_PARAMETER", "valuation_properties must be an object");
  }
  const cpv = body.count_prev_visits;
  if (cpv !== undefined && typeof cpv !== "boolean") throw new HttpError(400, "INVALID_PARAMETER", "count_prev_visits must be a boolean");

  const identifiers = [];
  const anon = anonymousId === undefined ? "" : anonymousId.trim();
  if (anon !== "") identifiers.push(["anonymous_id", anon]);
  if (email !== undefined && email.trim() !== "") {
    const em = normalize("em", email).normalized;
    if (!em) throw new HttpError(400, "INVALID_PARAMETER", "email is not a valid email address");
    identifiers.push(["email", em]);
  }
  if (identifiers.length === 0) throw new HttpError(400, "MISSING_IDENTIFIER", "one of anonymous_id or email is required");
  if (phone !== undefined && phone.trim() !== "") {
    const ph = normalize("ph", phone).normalized;
    if (ph) identifiers.push(["phone", ph]); // an unusable phone is kept in the journal but not matched on
  }

  const payload = {};
  for (const f of PAYLOAD_FIELDS) if (body[f] !== undefined && body[f] !== null) payload[f] = body[f];
  return { identifiers, payload, countMode: cpv !== undefined };
}

// --- stitching ---

// All writes of one request run in ONE D1 batch (a single SQLite transaction); the decisions are
// made in SQL inside it, so concurrent requests (any isolate) serialize on the database and the
// result is the same as if they had run one after the other. See identity/README.md.
async function identify(db, body) {
  const { identifiers, payload, countMode } = parseIdentifierRequest(body);
  const req = crypto.randomUUID();
  const candidate = crypto.randomUUID();
  const now = new Date().toISOString();

  const match = identifiers.map((_, i) => `(kind = ?${2 * i + 1} AND value = ?${2 * i + 2})`).join(" OR ");
  const matchArgs = identifiers.flat();
  const n = matchArgs.length;
  const W = "(SELECT winner FROM request_winner WHERE req_id = ?1)";
  const LOSERS = "(SELECT uuid FROM request_losers WHERE req_id = ?1)";

  const statements = [
    // 1. a new person only when none of the identifiers is known yet
    db.prepare(`INSERT INTO persons (uuid, created_at) SELECT ?${n + 1}, ?${n + 2} WHERE NOT EXISTS (SELECT 1 FROM identifiers WHERE ${match})`)
      .bind(...matchArgs, candidate, now),
    // 2. the winner: the oldest person owning any identifier (or the new person)
    db.prepare(
      `INSERT INTO request_winner (req_id, winner) SELECT ?${n + 1}, p.uuid FROM persons p ` +
        `WHERE p.uuid IN (SELECT person_uuid FROM identifiers WHERE ${match} UNION ALL SELECT ?${n + 2}) ` +
        `ORDER BY p.created_at, p.uuid LIMIT 1`,
    ).bind(...matchArgs, req, candidate),
    // 3. the other owners are merged into the winner
    db.prepare(
      `INSERT INTO request_losers (req_id, uuid) SELECT DISTINCT ?${n + 1}, person_uuid FROM identifiers ` +
        `WHERE (${match}) AND person_uuid <> (SELECT winner FROM request_winner WHERE req_id = ?${n + 1})`,
    ).bind(...matchArgs, req),
    db.prepare(`INSERT INTO aliases (alias_uuid, person_uuid, merged_at) SELECT uuid, ${W}, ?2 FROM request_losers WHERE req_id = ?1 ON CONFLICT (alias_uuid) DO UPDATE SET person_uuid = excluded.person_uuid`).bind(req, now),
    db.prepare(`UPDATE aliases SET person_uuid = ${W} WHERE person_uuid IN ${LOSERS}`).bind(req),
    db.prepare(`UPDATE identifiers SET person_uuid = ${W} WHERE person_uuid IN ${LOSERS}`).bind(req),
    db.prepare(`UPDATE journal SET person_uuid = ${W} WHERE person_uuid IN ${LOSERS}`).bind(req),
    db.prepare(`DELETE FROM persons WHERE uuid IN ${LOSERS}`).bind(req),
    // 4. unknown identifiers are linked to the winner (a concurrent winner already holds them otherwise)
    ...identifiers.map(([kind, value]) =>
      db.prepare(`INSERT INTO identifiers (kind, value, person_uuid, created_at) SELECT ?2, ?3, winner, ?4 FROM request_winner WHERE req_id = ?1 ON CONFLICT (kind, value) DO NOTHING`)
        .bind(req, kind, value, now),
    ),
  ];
  const readIndex = statements.length;
  statements.push(
    // 5. reads, still inside the transaction
    db.prepare(
      `SELECT w.winner AS uuid, (SELECT COUNT(*) FROM journal WHERE person_uuid = w.winner) AS prev, ` +
        `(SELECT value FROM identifiers WHERE person_uuid = w.winner AND kind = 'email' ORDER BY created_at DESC, rowid DESC LIMIT 1) AS email ` +
        `FROM request_winner w WHERE w.req_id = ?1`,
    ).bind(req),
  );
  const journalIndex = statements.length;
  if (countMode) {
    // Only the visit (count mode) is journaled: a tag that also retrieves the journal for the
    // same event must not count two visits.
    statements.push(
      db.prepare(`INSERT INTO journal (person_uuid, payload, created_at) SELECT winner, ?2, ?3 FROM request_winner WHERE req_id = ?1`).bind(req, JSON.stringify(payload), now),
    );
  } else {
    statements.push(db.prepare(`SELECT payload, created_at FROM journal WHERE person_uuid = ${W} ORDER BY created_at DESC, id DESC LIMIT 1000`).bind(req));
  }
  statements.push(
    db.prepare("DELETE FROM request_losers WHERE req_id = ?1").bind(req),
    db.prepare("DELETE FROM request_winner WHERE req_id = ?1").bind(req),
  );

  const results = await db.batch(statements);
  const row = results[readIndex].results[0];
  if (!row || !row.uuid) throw new Error("identity: no winner resolved");
  if (countMode) return { uuid: row.uuid, email: row.email || "", count_prev_visits: row.prev };
  const journal = results[journalIndex].results.map((r) => ({ ...JSON.parse(r.payload), created_at: r.created_at }));
  return { uuid: row.uuid, journal };
}

// GET /api/v1/person/<uuid>: the live uuid for a person or a merged (alias) uuid.
async function resolvePerson(db, uuid) {
  const row = await db
    .prepare(
      "SELECT uuid, 0 AS merged FROM persons WHERE uuid = ?1 UNION ALL SELECT person_uuid AS uuid, 1 AS merged FROM aliases WHERE alias_uuid = ?1 LIMIT 1",
    )
    .bind(uuid)
    .first();
  if (!row) throw new HttpError(404, "NOT_FOUND", "unknown uuid");
  const aliases = await db.prepare("SELECT alias_uuid FROM aliases WHERE person_uuid = ?1 ORDER BY merged_at, alias_uuid").bind(row.uuid).all();
  return { uuid: row.uuid, requested: uuid, merged: row.merged === 1, aliases: aliases.results.map((r) => r.alias_uuid) };
}
