// Who may do what, and how often. Tokens carry scopes; requests are counted per token and per
// anonymous id, so one busy container or one abusive visitor cannot starve the rest.
//
// Tokens: IDENTITY_TOKENS, a JSON object {"<token>": ["resolve", "journal:read"], ...}, and/or
// IDENTITY_TOKEN, one token with every scope (how the service was configured before scopes).
import { HttpError } from "./http.mjs";

export const SCOPES = ["resolve", "journal:read", "erase", "admin"];

async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}
export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

const misconfigured = (message) => new HttpError(500, "MISCONFIGURED", message);

// The configured tokens as [{ digest, scopes }]; parsed once per isolate and configuration.
let parsedFor;
let parsed;
async function configuredTokens(env) {
  const key = `${env.IDENTITY_TOKEN ?? ""}\u0000${env.IDENTITY_TOKENS ?? ""}`;
  if (parsedFor === key) return parsed;
  const entries = [];
  if (typeof env.IDENTITY_TOKEN === "string" && env.IDENTITY_TOKEN !== "") entries.push([env.IDENTITY_TOKEN, ["admin"]]);
  if (env.IDENTITY_TOKENS !== undefined && env.IDENTITY_TOKENS !== "") {
    let table;
    try {
      table = typeof env.IDENTITY_TOKENS === "string" ? JSON.parse(env.IDENTITY_TOKENS) : env.IDENTITY_TOKENS;
    } catch {
      throw misconfigured("IDENTITY_TOKENS is not valid JSON");
    }
    if (table === null || typeof table !== "object" || Array.isArray(table)) throw misconfigured('IDENTITY_TOKENS must be an object {"<token>": ["<scope>", ...]}');
    for (const [token, scopes] of Object.entries(table)) {
      // The message never names the token itself.
      if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => SCOPES.includes(s))) {
        throw misconfigured(`IDENTITY_TOKENS: every token needs a list of scopes from ${SCOPES.join(", ")}`);
      }
      if (token === "") throw misconfigured("IDENTITY_TOKENS: an empty token");
      entries.push([token, scopes]);
    }
  }
  if (entries.length === 0) throw misconfigured("the service has no IDENTITY_TOKEN or IDENTITY_TOKENS configured");
  parsed = await Promise.all(entries.map(async ([token, scopes]) => ({ digest: await sha256(token), scopes: new Set(scopes) })));
  parsedFor = key;
  return parsed;
}

/** The caller: { key (hex SHA-256 of its token, for counters), scopes }; 401 otherwise. */
export async function authenticate(request, env) {
  const tokens = await configuredTokens(env);
  const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") || "");
  if (!m) throw new HttpError(401, "UNAUTHORIZED", "missing bearer token", { "www-authenticate": 'Bearer realm="omni-identity"' });
  const given = await sha256(m[1]);
  // Constant time: fixed-length digests, every configured token compared, no early exit.
  let match = null;
  for (const t of tokens) {
    let diff = 0;
    for (let i = 0; i < given.length; i++) diff |= given[i] ^ t.digest[i];
    if (diff === 0) match = t;
  }
  if (!match) throw new HttpError(401, "UNAUTHORIZED", "invalid bearer token", { "www-authenticate": 'Bearer realm="omni-identity", error="invalid_token"' });
  return { key: hex(given), scopes: match.scopes };
}

/** 403 naming the first scope the caller lacks (`admin` grants every scope). */
export function requireScopes(caller, ...needed) {
  if (caller.scopes.has("admin")) return;
  const missing = needed.find((s) => !caller.scopes.has(s));
  if (missing) throw new HttpError(403, "FORBIDDEN", `this token lacks the scope ${missing}`, {}, { scope: missing });
}

export function positiveInt(env, name, fallback) {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw misconfigured(`${name} must be a positive integer`);
  return n;
}

// Fixed window counted in D1 (so it holds across isolates): window = floor(now / W) * W.
async function countInWindow(db, key, windowSec) {
  const nowSec = Math.floor(Date.now() / 1000);
  const start = nowSec - (nowSec % windowSec);
  const [, upsert] = await db.batch([
    db.prepare("DELETE FROM rate_limits WHERE key = ?1 AND window_start < ?2").bind(key, start),
    db.prepare("INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1) ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count").bind(key, start),
  ]);
  return { count: upsert.results[0].count, reset: start + windowSec, nowSec };
}

/** Per token: RATE_LIMIT requests per RATE_LIMIT_WINDOW seconds; returns the X-RateLimit headers. */
export async function limitToken(env, caller) {
  const limit = positiveInt(env, "RATE_LIMIT", 6000);
  const { count, reset, nowSec } = await countInWindow(env.DB, `token:${caller.key}`, positiveInt(env, "RATE_LIMIT_WINDOW", 60));
  const headers = {
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": String(Math.max(0, limit - count)),
    "x-ratelimit-reset": String(reset),
  };
  if (count > limit) throw new HttpError(429, "RATE_LIMITED", "too many requests for this token", { ...headers, "retry-after": String(Math.max(1, reset - nowSec)) });
  return headers;
}

/**
 * Per anonymous id: ANON_RATE_LIMIT requests per RATE_LIMIT_WINDOW seconds. With a Workers Rate
 * Limiting binding ANON_RATE_LIMITER (wrangler.toml) it decides instead of D1: cheaper, and no
 * write per request. The key is a digest, never the id itself.
 */
export async function limitAnonymousId(env, anonymousId) {
  if (anonymousId === null) return;
  const key = `anon:${hex(await sha256(anonymousId))}`;
  const refuse = (retryAfter) => new HttpError(429, "RATE_LIMITED", "too many requests for this anonymous_id", { "retry-after": String(retryAfter) });
  if (env.ANON_RATE_LIMITER && typeof env.ANON_RATE_LIMITER.limit === "function") {
    const { success } = await env.ANON_RATE_LIMITER.limit({ key });
    if (!success) throw refuse(60);
    return;
  }
  const limit = positiveInt(env, "ANON_RATE_LIMIT", 60);
  const { count, reset, nowSec } = await countInWindow(env.DB, key, positiveInt(env, "RATE_LIMIT_WINDOW", 60));
  if (count > limit) throw refuse(Math.max(1, reset - nowSec));
}
