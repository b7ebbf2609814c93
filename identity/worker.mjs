// Omni-Identity-compatible identity service: a Cloudflare Worker on D1.
// API: ../../shared/docs/omni-identity-api.md (POST /api/v1/identifier), plus GET /healthz,
// GET /api/v1/person/<uuid> (alias resolution), POST /api/v1/erase, GET /api/v1/stats and a
// scheduled() retention handler. Design, trust model and bounds: identity/README.md.
//
// Bindings: DB (D1); IDENTITY_TOKENS and/or IDENTITY_TOKEN (secrets, see auth.mjs); optional
// vars RATE_LIMIT, RATE_LIMIT_WINDOW, ANON_RATE_LIMIT, MERGE_MIN_TRUST, FILL_MIN_TRUST,
// DEFAULT_TRUST, SHARED_MAX_ANONYMOUS_IDS, SHARED_WINDOW_DAYS, RETENTION_DAYS; optional
// Rate Limiting binding ANON_RATE_LIMITER.
import { HttpError, UUID, fail, ok, plainJson, readJsonBody } from "./http.mjs";
import { authenticate, limitAnonymousId, limitToken, positiveInt, requireScopes } from "./auth.mjs";
import { TRUST, identify, parseIdentifierRequest, resolvePerson } from "./stitch.mjs";
import { erase, parseEraseRequest, retention, stats } from "./privacy.mjs";

/** The service's policy from its vars; a bad value is a 500 MISCONFIGURED naming the var. */
export function policyOf(env) {
  const trust = (name, fallback) => {
    const v = env[name] ?? fallback;
    if (!Object.hasOwn(TRUST, v)) throw new HttpError(500, "MISCONFIGURED", `${name} must be one of ${Object.keys(TRUST).join(", ")}`);
    return TRUST[v];
  };
  return {
    mergeMinTrust: trust("MERGE_MIN_TRUST", "user_id"),
    fillMinTrust: trust("FILL_MIN_TRUST", "user_id"),
    defaultTrust: trust("DEFAULT_TRUST", "browser"),
    sharedMaxAnonymousIds: positiveInt(env, "SHARED_MAX_ANONYMOUS_IDS", 10),
    sharedWindowDays: positiveInt(env, "SHARED_WINDOW_DAYS", 30),
    retentionDays: positiveInt(env, "RETENTION_DAYS", 400),
  };
}

// path -> { method, handler(request, env, caller, policy) }
const ROUTES = [
  [/^\/api\/v1\/identifier$/, "POST", identifierRoute],
  [/^\/api\/v1\/person\/([^/]+)$/, "GET", personRoute],
  [/^\/api\/v1\/erase$/, "POST", eraseRoute],
  [/^\/api\/v1\/stats$/, "GET", statsRoute],
];

export default {
  async fetch(request, env) {
    let rateHeaders = {};
    try {
      const path = new URL(request.url).pathname.replace(/\/+$/, "") || "/";
      if (path === "/healthz") {
        if (request.method !== "GET" && request.method !== "HEAD") throw new HttpError(405, "METHOD_NOT_ALLOWED", "use GET", { allow: "GET, HEAD" });
        return await health(env);
      }
      const route = ROUTES.map(([re, method, handler]) => ({ m: re.exec(path), method, handler })).find((r) => r.m);
      if (!route) throw new HttpError(404, "NOT_FOUND", "no such endpoint");
      if (request.method !== route.method) throw new HttpError(405, "METHOD_NOT_ALLOWED", `use ${route.method}`, { allow: route.method });
      const policy = policyOf(env);
      const caller = await authenticate(request, env);
      rateHeaders = await limitToken(env, caller);
      return ok(await route.handler({ request, env, caller, policy, params: route.m.slice(1) }), rateHeaders);
    } catch (err) {
      if (err instanceof HttpError) return fail(err.status, err.code, err.message, { ...rateHeaders, ...err.headers }, err.extra);
      // No stack, no request data: a message may quote an identifier.
      console.error(`identity: internal error (${err && err.name ? err.name : typeof err})`);
      return fail(500, "INTERNAL_ERROR", "internal server error", rateHeaders);
    }
  },

  // Cron Trigger (wrangler.toml [triggers]): retention, with the trigger's time as now.
  async scheduled(controller, env) {
    await retention(env.DB, policyOf(env), controller.scheduledTime);
  },
};

async function identifierRoute({ request, env, caller, policy }) {
  requireScopes(caller, "resolve");
  const parsed = parseIdentifierRequest(await readJsonBody(request), policy);
  // The journal is only read back in journal mode (no count_prev_visits).
  if (!parsed.countMode) requireScopes(caller, "journal:read");
  await limitAnonymousId(env, parsed.anon);
  return identify(env.DB, parsed, policy);
}

async function personRoute({ env, caller, params }) {
  requireScopes(caller, "resolve");
  let uuid;
  try {
    uuid = decodeURIComponent(params[0]);
  } catch {
    throw new HttpError(400, "INVALID_PATH", "the uuid in the path is not valid percent-encoding");
  }
  if (!UUID.test(uuid)) throw new HttpError(400, "INVALID_PARAMETER", "uuid is not a UUID");
  return resolvePerson(env.DB, uuid.toLowerCase());
}

async function eraseRoute({ request, env, caller }) {
  requireScopes(caller, "erase");
  return erase(env.DB, parseEraseRequest(await readJsonBody(request)));
}

async function statsRoute({ env, caller }) {
  requireScopes(caller, "admin");
  return stats(env.DB);
}

async function health(env) {
  try {
    await env.DB.prepare("SELECT 1 FROM request_state LIMIT 1").all();
    return plainJson({ status: "ok" });
  } catch {
    return plainJson({ status: "error", message: "database unavailable or not migrated" }, 503);
  }
}
