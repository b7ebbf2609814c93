#!/usr/bin/env node
// A local stand-in for Meta's Conversions API endpoint `POST /{version}/{pixelId}/events` (and
// the Graph read `GET /{version}/{pixelId}` of the pixel, for health checks), for tests and
// demos. Node 20 built-ins only; binds loopback addresses only.
//
//   import { startMetaSandbox } from "./sandbox/meta-sandbox.mjs";
//   const sb = await startMetaSandbox({ tokens: { "1234567890": "TOKEN" } });
//   // POST `${sb.url}/v25.0/1234567890/events` ... then inspect sb.received / sb.attempts
//   await sb.close();
//
// CLI: node sandbox/meta-sandbox.mjs [--port N] [--host 127.0.0.1] [--token PIXEL=TOKEN ...]
//                                    [--app-secret S] [--no-matching-rule] [--clock-skew-ms N]
// Prints the URL as the first line of stdout, then one line per request (never the token).
//
// Shapes follow ../shared/research/capi.md §1-3 and §7; see sandbox/README.md for the rules,
// error codes and the control endpoints.
import http from "node:http";
import net from "node:net";
import crypto from "node:crypto";
import process from "node:process";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const MAX_BODY_BYTES = 5 * 1024 * 1024;
export const MAX_EVENTS = 1000;
/** How far ahead of the sandbox clock an event_time may be (clock skew). */
export const FUTURE_SKEW_SECONDS = 600;
const DAY = 86_400;
/** A body larger than this is not even drained: the socket is destroyed. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

export const ACTION_SOURCES = Object.freeze([
  "email",
  "website",
  "app",
  "phone_call",
  "chat",
  "physical_store",
  "system_generated",
  "business_messaging",
  "other",
]);

/** user_data keys Meta requires hashed (SHA-256, lowercase hex), plus the SDKs' extra ones. */
export const HASHED_KEYS = Object.freeze([
  "em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country",
  "f5first", "f5last", "fi", "dobd", "dobm", "doby",
]);

/** Customer-information keys for Meta's baseline matching rule (as src/validate.rs). */
const MATCH_KEYS = new Set([
  "em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id",
  "client_ip_address", "client_user_agent", "fbc", "fbp", "subscription_id", "fb_login_id",
  "lead_id",
]);
const INSUFFICIENT_SETS = [
  ["ct", "country", "st", "zp", "ge", "client_user_agent"],
  ["db", "client_user_agent"],
  ["fn", "ge"],
  ["ln", "ge"],
];

/** Meta's CAPI subcodes the sandbox answers with (all under code 100, HTTP 400). */
export const SUBCODES = Object.freeze({
  EVENT_TIMESTAMP_TOO_OLD: 2804003,
  PARAMETER_ERROR: 2804019,
  INSUFFICIENT_CUSTOMER_INFO: 2804050,
});

/** Graph codes treated as transient (capi.md §7). */
function isTransientCode(code) {
  return [1, 2, 4, 17, 341, 613].includes(code) || (code >= 80000 && code <= 80014);
}

const APPENDIX_TOKENS = new Set(["AQ", "Ag", "Aw", "BA", "BQ", "Bg"]);
const HASH_RE = /^[0-9a-f]{64}$/;

function isAppendix(s) {
  return APPENDIX_TOKENS.has(s) || /^[A-Za-z0-9_-]{8}$/.test(s);
}

/** `<64 lowercase hex>` or `<64 lowercase hex>.<appendix>`. */
export function isHashed(value) {
  if (typeof value !== "string") return false;
  const dot = value.indexOf(".");
  if (dot === -1) return HASH_RE.test(value);
  return HASH_RE.test(value.slice(0, dot)) && isAppendix(value.slice(dot + 1));
}

/** `fb.<digits>.<digits>.<payload>[.<appendix>]`; for fbp the payload is digits. */
export function isValidClickId(value, numericPayload) {
  if (typeof value !== "string" || !/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/.test(value)) {
    return false;
  }
  const parts = value.split(".");
  const digits = (s) => /^\d+$/.test(s);
  return (
    (parts.length === 4 || (parts.length === 5 && isAppendix(parts[4]))) &&
    parts[0] === "fb" &&
    digits(parts[1]) &&
    digits(parts[2]) &&
    (numericPayload ? digits(parts[3]) : parts[3].length > 0)
  );
}

function isValidIp(value) {
  if (typeof value !== "string") return false;
  if (net.isIP(value)) return true;
  const dot = value.lastIndexOf(".");
  return dot > 0 && isAppendix(value.slice(dot + 1)) && net.isIP(value.slice(0, dot)) !== 0;
}

export function fbtraceId() {
  return "A" + crypto.randomBytes(18).toString("base64url").slice(0, 22);
}

/** Graph's error envelope, keys in Graph's order; undefined fields are left out. */
function graphError({ message, type = "OAuthException", code, subcode, isTransient, title, userMsg, errorData }) {
  const error = { message, type, code };
  if (subcode != null) error.error_subcode = subcode;
  if (isTransient != null) error.is_transient = isTransient;
  if (title != null) error.error_user_title = title;
  if (userMsg != null) error.error_user_msg = userMsg;
  if (errorData != null) error.error_data = errorData;
  error.fbtrace_id = fbtraceId();
  return { error };
}

/** A CAPI payload error: HTTP 400, code 100 "Invalid parameter", a 28040xx subcode. */
function invalidParameter(subcode, title, userMsg, blame) {
  return {
    status: 400,
    body: graphError({
      message: "Invalid parameter",
      code: 100,
      subcode,
      isTransient: false,
      title,
      userMsg,
      errorData: blame ? { blame_field_specs: [blame] } : undefined,
    }),
  };
}

const PARAM_TITLE = "Server-side API parameter error";

function gmtString(ms) {
  // Graph's style: "Tuesday, 02-Jan-24 08:00:00 PST"; the sandbox speaks GMT.
  const d = new Date(ms);
  const day = d.toLocaleDateString("en-US", { weekday: "long", timeZone: "UTC" });
  const mon = d.toLocaleDateString("en-US", { month: "short", timeZone: "UTC" });
  const p = (n) => String(n).padStart(2, "0");
  return `${day}, ${p(d.getUTCDate())}-${mon}-${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} GMT`;
}

/** Graph's wording for the codes the sandbox produces or fault lists ask for. */
function defaultErrorMessage(code, subcode, nowMs) {
  switch (code) {
    case 1: return "An unknown error has occurred.";
    case 2: return "An unexpected error has occurred. Please retry your request later.";
    case 4: return "(#4) Application request limit reached";
    case 17: return "(#17) User request limit reached";
    case 100: return "Invalid parameter";
    case 104: return "An access token is required to request this resource.";
    case 190:
      switch (subcode) {
        case 458: return "Error validating access token: The user has not authorized application.";
        case 460: return "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.";
        case 463: return `Error validating access token: Session has expired on ${gmtString(nowMs - DAY * 1000)}. The current time is ${gmtString(nowMs)}.`;
        default: return "Invalid OAuth access token - Cannot parse access token";
      }
    case 341: return "(#341) Application limit reached";
    case 368: return "(#368) The action attempted has been deemed abusive or is otherwise disallowed";
    case 613: return "(#613) Calls to this api have exceeded the rate limit.";
    default:
      if (code >= 80000 && code <= 80014) {
        return `(#${code}) There have been too many calls to this ad-account. Wait a bit and try again.`;
      }
      return `(#${code}) An error occurred.`;
  }
}

function oauthError(code, subcode, nowMs, message) {
  return {
    status: 400,
    headers: { "www-authenticate": `OAuth "Facebook Platform" "invalid_token" "${(message ?? defaultErrorMessage(code, subcode, nowMs)).replace(/"/g, "'")}"` },
    body: graphError({ message: message ?? defaultErrorMessage(code, subcode, nowMs), code, subcode }),
  };
}

/** Graph's answer for a missing object or an unsupported method on it (100/33). */
function unsupportedRequest(objectId, method = "post") {
  return graphError({
    message: `Unsupported ${method} request. Object with ID '${objectId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    type: "GraphMethodException",
    code: 100,
    subcode: 33,
  });
}

// ---------------------------------------------------------------------------------------------
// Reading a pixel: GET /{version}/{pixelId}

/**
 * The fields of Graph's AdsPixel node the read route knows (as the Business SDKs list them).
 * Any other requested field answers Graph's "(#100) Tried accessing nonexisting field" error.
 * `creator`, `owner_ad_account` and `owner_business` are known but never answered: Graph leaves
 * out fields that have no value, and so does the sandbox (also `last_fired_time` before the
 * first accepted event).
 */
export const PIXEL_FIELDS = Object.freeze([
  "automatic_matching_fields", "can_proxy", "code", "creation_time", "creator", "data_use_setting",
  "enable_automatic_matching", "first_party_cookie_status", "id", "is_created_by_business",
  "is_unavailable", "last_fired_time", "name", "owner_ad_account", "owner_business",
]);
/** Every sandbox pixel was "created" at this time. */
const PIXEL_CREATION_MS = Date.UTC(2024, 0, 1, 0, 0, 0);

/** Graph's datetime format: "2024-01-02T08:00:00+0000". */
function graphTime(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+0000");
}

/**
 * The `fields` query parameter -> the requested field names, in order, without duplicates.
 * Commas inside {...} or (...) (nested fields, modifiers) do not split; a field's name is its
 * leading identifier (`name.as(x)` -> `name`).
 */
function parseFieldList(raw) {
  if (raw == null) return [];
  const items = [];
  let depth = 0;
  let cur = "";
  for (const ch of raw) {
    if (ch === "{" || ch === "(") depth += 1;
    else if ((ch === "}" || ch === ")") && depth > 0) depth -= 1;
    if (ch === "," && depth === 0) {
      items.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  items.push(cur);
  const names = [];
  for (const item of items) {
    const trimmed = item.trim();
    if (trimmed === "") continue;
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(trimmed)?.[0] ?? trimmed;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

function nonexistingField(field) {
  return graphError({
    message: `(#100) Tried accessing nonexisting field (${field}) on node type (AdsPixel)`,
    code: 100,
  });
}

// ---------------------------------------------------------------------------------------------
// Validation of the events (capi.md §2, §3; one invalid event rejects the whole batch)

function jsonPath(i, ...keys) {
  return `$['data'][${i}]` + keys.map((k) => `['${k}']`).join("");
}

function asInteger(v) {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^-?\d{1,16}$/.test(v)) return Number(v);
  return null;
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Validates Meta's `data` array. Returns null when valid, else `{status, body}` (Meta's error).
 * Exported for unit use; the server calls it on every accepted-so-far request.
 */
export function validateEvents(data, { nowMs = Date.now(), matchingRule = true } = {}) {
  if (data.length === 0) {
    return invalidParameter(SUBCODES.PARAMETER_ERROR, PARAM_TITLE,
      "The parameter $['data'] is empty: send between 1 and 1000 events.", ["data"]);
  }
  if (data.length > MAX_EVENTS) {
    return invalidParameter(SUBCODES.PARAMETER_ERROR, PARAM_TITLE,
      `The parameter $['data'] holds ${data.length} events: you can send up to 1000 events in data.`, ["data"]);
  }
  const nowS = Math.floor(nowMs / 1000);
  for (let i = 0; i < data.length; i++) {
    const failure = validateEvent(data[i], i, nowS, matchingRule);
    if (failure) return failure;
  }
  return null;
}

function validateEvent(ev, i, nowS, matchingRule) {
  const param = (userMsg, ...keys) =>
    invalidParameter(SUBCODES.PARAMETER_ERROR, PARAM_TITLE, userMsg, keys.length ? keys : undefined);
  const required = (...keys) => param(`The parameter ${jsonPath(i, ...keys)} is required.`, ...keys);

  if (!isObject(ev)) {
    return invalidParameter(SUBCODES.PARAMETER_ERROR, PARAM_TITLE,
      `The parameter $['data'][${i}] must be an event object.`);
  }
  // event_name
  if (ev.event_name === undefined || ev.event_name === null) return required("event_name");
  if (typeof ev.event_name !== "string" || ev.event_name.trim() === "") {
    return param(`The parameter ${jsonPath(i, "event_name")} must be a non-empty string.`, "event_name");
  }
  // event_time (type)
  if (ev.event_time === undefined || ev.event_time === null) return required("event_time");
  const t = asInteger(ev.event_time);
  if (t === null || t < 0) {
    return param(`The parameter ${jsonPath(i, "event_time")} must be an integer Unix timestamp in seconds.`, "event_time");
  }
  // action_source
  if (ev.action_source === undefined || ev.action_source === null) return required("action_source");
  if (!ACTION_SOURCES.includes(ev.action_source)) {
    return param(`The parameter ${jsonPath(i, "action_source")} must be one of ${ACTION_SOURCES.join(", ")}; got ${JSON.stringify(ev.action_source)}.`, "action_source");
  }
  // event_time (window)
  const maxAgeDays = ev.action_source === "physical_store" ? 62 : 7;
  if (nowS - t > maxAgeDays * DAY) {
    return invalidParameter(SUBCODES.EVENT_TIMESTAMP_TOO_OLD, "Event Timestamp Too Old",
      `The timestamp for this event is too far in the past. Events need to be sent from your server within ${maxAgeDays} days of when they occurred. Enter a timestamp that has occurred within the last ${maxAgeDays} days.`,
      ["event_time"]);
  }
  if (t - nowS > FUTURE_SKEW_SECONDS) {
    return param(`The parameter ${jsonPath(i, "event_time")} is invalid: the value is in the future or not a Unix timestamp in seconds (got ${t}, current time ${nowS}).`, "event_time");
  }
  // user_data
  if (ev.user_data === undefined || ev.user_data === null) return required("user_data");
  if (!isObject(ev.user_data)) {
    return param(`The parameter ${jsonPath(i, "user_data")} must be an object.`, "user_data");
  }
  const ud = ev.user_data;
  for (const key of HASHED_KEYS) {
    if (!(key in ud)) continue;
    const values = Array.isArray(ud[key]) ? ud[key] : [ud[key]];
    for (const v of values) {
      if (!isHashed(v)) {
        return param(`The parameter ${jsonPath(i, "user_data", key)} must be hashed: send the SHA-256 of the normalized value as 64 lowercase hex characters (optionally followed by .<appendix>); it looks like plain text or an invalid hash.`, "user_data", key);
      }
    }
  }
  if ("external_id" in ud) {
    // Meta recommends hashing external_id but accepts it raw (capi.md §3, §8.5).
    const values = Array.isArray(ud.external_id) ? ud.external_id : [ud.external_id];
    if (values.some((v) => typeof v !== "string" || v === "")) {
      return param(`The parameter ${jsonPath(i, "user_data", "external_id")} must be a non-empty string or an array of them.`, "user_data", "external_id");
    }
  }
  if ("client_ip_address" in ud && !isValidIp(ud.client_ip_address)) {
    return param(`The parameter ${jsonPath(i, "user_data", "client_ip_address")} must be a valid IPv4 or IPv6 address.`, "user_data", "client_ip_address");
  }
  if ("client_user_agent" in ud && (typeof ud.client_user_agent !== "string" || ud.client_user_agent === "")) {
    return param(`The parameter ${jsonPath(i, "user_data", "client_user_agent")} must be a non-empty string.`, "user_data", "client_user_agent");
  }
  if ("fbc" in ud && !isValidClickId(ud.fbc, false)) {
    return param(`The parameter ${jsonPath(i, "user_data", "fbc")} is malformed: expected fb.<subdomain_index>.<creation_time>.<fbclid> (optionally .<appendix>).`, "user_data", "fbc");
  }
  if ("fbp" in ud && !isValidClickId(ud.fbp, true)) {
    return param(`The parameter ${jsonPath(i, "user_data", "fbp")} is malformed: expected fb.<subdomain_index>.<creation_time>.<random_number> (optionally .<appendix>).`, "user_data", "fbp");
  }
  // website events
  if (ev.action_source === "website") {
    if (ev.event_source_url === undefined || ev.event_source_url === null || ev.event_source_url === "") {
      return param(`The parameter ${jsonPath(i, "event_source_url")} is required for website events.`, "event_source_url");
    }
    if (typeof ev.event_source_url !== "string" || !/^https?:\/\/[^\s/]+/i.test(ev.event_source_url)) {
      return param(`The parameter ${jsonPath(i, "event_source_url")} must be an absolute http(s) URL.`, "event_source_url");
    }
    if (!("client_user_agent" in ud)) {
      return param(`The parameter ${jsonPath(i, "user_data", "client_user_agent")} is required for website events.`, "user_data", "client_user_agent");
    }
  }
  // baseline matching rule (since Graph v13.0)
  if (matchingRule) {
    const present = Object.keys(ud).filter((k) => MATCH_KEYS.has(k));
    if (INSUFFICIENT_SETS.some((set) => present.every((k) => set.includes(k)))) {
      return invalidParameter(SUBCODES.INSUFFICIENT_CUSTOMER_INFO,
        "You haven't added sufficient customer information parameter data for this event",
        `This event has no customer information parameters, or it has a combination of customer information parameters that is too broad to be effective for matching (${present.join(" + ") || "none"}). Add parameters such as em, ph, external_id, fbp or fbc in ${jsonPath(i, "user_data")}.`,
        ["user_data"]);
    }
  }
  // Limited Data Use
  if ("data_processing_options" in ev) {
    const opts = ev.data_processing_options;
    const ok = Array.isArray(opts) && (opts.length === 0 || (opts.length === 1 && opts[0] === "LDU"));
    if (!ok) {
      return param(`The parameter ${jsonPath(i, "data_processing_options")} must be [] or ["LDU"].`, "data_processing_options");
    }
    const ldu = opts.length === 1;
    const hasCountry = ev.data_processing_options_country !== undefined && ev.data_processing_options_country !== null;
    const hasState = ev.data_processing_options_state !== undefined && ev.data_processing_options_state !== null;
    const country = asInteger(ev.data_processing_options_country);
    const state = asInteger(ev.data_processing_options_state);
    if (ldu && !hasCountry) {
      return param(`The parameter ${jsonPath(i, "data_processing_options_country")} is required with LDU (1 = USA, 0 = geolocate).`, "data_processing_options_country");
    }
    if (hasCountry && country !== 0 && country !== 1) {
      return param(`The parameter ${jsonPath(i, "data_processing_options_country")} must be 0 or 1.`, "data_processing_options_country");
    }
    if (hasCountry && !hasState) {
      return param(`The parameter ${jsonPath(i, "data_processing_options_state")} is required when a data processing country is set (1000 = California, 0 = geolocate).`, "data_processing_options_state");
    }
    if (hasState && state !== 0 && state !== 1000) {
      return param(`The parameter ${jsonPath(i, "data_processing_options_state")} must be 0 or 1000.`, "data_processing_options_state");
    }
  }
  // custom_data
  if ("custom_data" in ev && ev.custom_data !== null && !isObject(ev.custom_data)) {
    return param(`The parameter ${jsonPath(i, "custom_data")} must be an object.`, "custom_data");
  }
  if (ev.event_name === "Purchase") {
    const cd = isObject(ev.custom_data) ? ev.custom_data : {};
    if (cd.value === undefined || cd.value === null || cd.value === "") {
      return param(`The parameter ${jsonPath(i, "custom_data", "value")} is required for Purchase events.`, "custom_data", "value");
    }
    if (typeof cd.currency !== "string" || !/^[A-Za-z]{3}$/.test(cd.currency)) {
      return param(`The parameter ${jsonPath(i, "custom_data", "currency")} is required for Purchase events (ISO 4217 code).`, "custom_data", "currency");
    }
  }
  if ("opt_out" in ev && typeof ev.opt_out !== "boolean") {
    return param(`The parameter ${jsonPath(i, "opt_out")} must be a boolean.`, "opt_out");
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Faults

/** Checks and copies a fault list; throws TypeError naming the bad entry. */
export function normalizeFaults(list) {
  if (!Array.isArray(list)) throw new TypeError("faults must be an array");
  return list.map((f, i) => {
    const where = `faults[${i}]`;
    if (!isObject(f)) throw new TypeError(`${where} must be an object`);
    const times = f.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new TypeError(`${where}.times must be a positive integer`);
    const out = {};
    if (f.delayMs != null) {
      if (typeof f.delayMs !== "number" || !(f.delayMs >= 0) || f.delayMs > 600_000) {
        throw new TypeError(`${where}.delayMs must be a number of milliseconds (0..600000)`);
      }
      out.delayMs = f.delayMs;
    }
    if (f.drop != null) {
      if (typeof f.drop !== "boolean") throw new TypeError(`${where}.drop must be a boolean`);
      if (f.drop) out.drop = true;
    }
    if (f.status != null) {
      if (!Number.isInteger(f.status) || f.status < 200 || f.status > 599) {
        throw new TypeError(`${where}.status must be an HTTP status (200..599)`);
      }
      out.status = f.status;
    }
    if (f.retryAfter != null) {
      if (!(typeof f.retryAfter === "number" && f.retryAfter >= 0) && typeof f.retryAfter !== "string") {
        throw new TypeError(`${where}.retryAfter must be seconds (number) or a header string`);
      }
      out.retryAfter = f.retryAfter;
    }
    if (f.error != null) {
      if (!isObject(f.error)) throw new TypeError(`${where}.error must be an object`);
      const code = f.error.code ?? 1;
      if (!Number.isInteger(code)) throw new TypeError(`${where}.error.code must be an integer`);
      const subcode = f.error.subcode ?? f.error.error_subcode;
      if (subcode != null && !Number.isInteger(subcode)) throw new TypeError(`${where}.error.subcode must be an integer`);
      out.error = { ...f.error, code };
      delete out.error.error_subcode;
      if (subcode != null) out.error.subcode = subcode;
    }
    if (f.body !== undefined) out.body = f.body;
    if (f.headers != null) {
      if (!isObject(f.headers)) throw new TypeError(`${where}.headers must be an object`);
      out.headers = { ...f.headers };
    }
    const responds = out.drop || out.status != null || out.error || out.body !== undefined;
    if (!responds && out.delayMs == null) {
      throw new TypeError(`${where} needs one of status, error, delayMs, drop, body`);
    }
    if (out.status != null && out.status < 400 && !out.error && out.body === undefined) {
      throw new TypeError(`${where}.status ${out.status} is not an error: give a body too`);
    }
    return { fault: out, remaining: times };
  });
}

/** The response a (non-drop) fault answers with: {status, headers, body}. */
function faultResponse(fault, nowMs) {
  const headers = { ...(fault.headers ?? {}) };
  let status = fault.status;
  let body;
  if (fault.body !== undefined && !fault.error) {
    status ??= 500;
    body = fault.body;
  } else if (fault.error) {
    const e = fault.error;
    const transient = e.is_transient ?? isTransientCode(e.code);
    status ??= e.code === 1 || e.code === 2 ? 500 : 400;
    const message = e.message ?? defaultErrorMessage(e.code, e.subcode, nowMs);
    body = graphError({
      message,
      type: e.type ?? "OAuthException",
      code: e.code,
      subcode: e.subcode,
      isTransient: transient,
      title: e.error_user_title,
      userMsg: e.error_user_msg,
      errorData: e.error_data,
    });
    if (e.code === 190 || e.code === 104) {
      headers["www-authenticate"] ??= `OAuth "Facebook Platform" "invalid_token" "${message.replace(/"/g, "'")}"`;
    }
  } else if (status === 429) {
    body = graphError({ message: defaultErrorMessage(17), code: 17, subcode: 2446079, isTransient: true,
      title: "User request limit reached", userMsg: "Too many calls: wait and retry." });
  } else if (status >= 500) {
    const code = status === 503 ? 2 : 1;
    body = graphError({ message: defaultErrorMessage(code), code, isTransient: true });
  } else {
    body = graphError({ message: defaultErrorMessage(100), code: 100, isTransient: false });
  }
  if (status === 429 || fault.retryAfter != null) {
    headers["retry-after"] ??= String(fault.retryAfter ?? 1);
  }
  return { status, headers, body };
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing

function send(res, status, body, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const h = {
    "content-type": typeof body === "string" && !headers["content-type"] ? "text/plain; charset=UTF-8" : "application/json; charset=UTF-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  };
  const trace = isObject(body) ? body.fbtrace_id ?? body.error?.fbtrace_id : undefined;
  if (trace) h["x-fb-trace-id"] = trace;
  res.writeHead(status, h);
  res.end(text);
}

/** Reads the body; past `limit` bytes it stops keeping data and reports tooLarge. */
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_DRAIN_BYTES) {
        req.destroy();
        return;
      }
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on("end", () => resolve({ tooLarge, buf: tooLarge ? null : Buffer.concat(chunks) }));
    req.on("error", reject);
    req.on("close", () => { if (!req.complete) reject(new Error("request aborted")); });
  });
}

/** JSON, urlencoded or multipart body -> the params object, or {error}. */
async function parseParams(buf, contentType) {
  const ct = (contentType ?? "").split(";")[0].trim().toLowerCase();
  const text = buf.toString("utf8");
  const asJson = () => {
    let v;
    try {
      v = JSON.parse(text);
    } catch (e) {
      return { error: `the request body is not valid JSON (${e.message})` };
    }
    if (!isObject(v)) return { error: "the JSON request body must be an object" };
    return { params: v, encoding: "json" };
  };
  const asForm = () => ({ params: Object.fromEntries(new URLSearchParams(text)), encoding: "form" });
  if (ct === "application/json" || ct.endsWith("+json")) return asJson();
  if (ct === "application/x-www-form-urlencoded") return asForm();
  if (ct === "multipart/form-data") {
    try {
      const fd = await new Response(buf, { headers: { "content-type": contentType } }).formData();
      const params = {};
      for (const [k, v] of fd.entries()) params[k] = typeof v === "string" ? v : await v.text();
      return { params, encoding: "multipart" };
    } catch (e) {
      return { error: `the multipart body could not be parsed (${e.message})` };
    }
  }
  if (ct === "" || ct === "text/plain") return text.trimStart().startsWith("{") ? asJson() : asForm();
  return { error: `unsupported content type ${JSON.stringify(ct)}` };
}

/** `data` as Meta takes it: an array of objects, a JSON string of one, or an array of JSON strings. */
function parseData(raw) {
  let data = raw;
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch {
      return { error: "(#100) param data must be an array." };
    }
  }
  if (!Array.isArray(data)) return { error: "(#100) param data must be an array." };
  data = data.map((item) => {
    if (typeof item !== "string") return item;
    try {
      return JSON.parse(item);
    } catch {
      return item;
    }
  });
  return { data };
}

function sameSecret(a, b) {
  const ha = crypto.createHash("sha256").update(String(a)).digest();
  const hb = crypto.createHash("sha256").update(String(b)).digest();
  return crypto.timingSafeEqual(ha, hb);
}

function isLoopback(host) {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function redactRecord(r) {
  const body = { ...r.body };
  if ("access_token" in body) body.access_token = "[redacted]";
  const headers = { ...r.headers };
  if ("authorization" in headers) headers.authorization = "[redacted]";
  return { ...r, body, headers };
}

const EVENTS_ROUTE = /^\/(v(\d+)\.(\d+))\/([^/]+)\/events\/?$/;
const PIXEL_ROUTE = /^\/(v(\d+)\.(\d+))\/([^/]+)\/?$/;

/**
 * Starts the sandbox.
 * @param {object} [options]
 * @param {number} [options.port=0]            0 = any free port
 * @param {string} [options.host="127.0.0.1"]  loopback only
 * @param {Record<string,string>|null} [options.tokens=null]  pixelId -> token; null = any non-empty token
 * @param {() => number} [options.now=Date.now] clock (ms) for event_time checks and `at`
 * @param {string|null} [options.appSecret=null] when set, appsecret_proof must be HMAC-SHA256(appSecret, token)
 * @param {boolean} [options.matchingRule=true] enforce Meta's baseline customer-information rule (2804050)
 * @param {number} [options.clockSkewMs=0]     shifts the Date header of every response by this many ms
 * @param {(line: string) => void} [options.log]  one line per request (never the token)
 */
export async function startMetaSandbox({
  port = 0,
  host = "127.0.0.1",
  tokens = null,
  now = () => Date.now(),
  appSecret = null,
  matchingRule = true,
  clockSkewMs = 0,
  log = null,
} = {}) {
  if (!isLoopback(host)) throw new Error(`meta-sandbox binds loopback addresses only, not ${host}`);
  if (tokens !== null && !isObject(tokens)) throw new TypeError("tokens must be an object {pixelId: token} or null");
  if (typeof clockSkewMs !== "number" || !Number.isFinite(clockSkewMs)) {
    throw new TypeError("clockSkewMs must be a finite number of milliseconds");
  }

  const received = [];
  const attempts = [];
  let faults = [];
  const sockets = new Set();
  const timers = new Set();
  let closed = false;

  const sleep = (ms) =>
    new Promise((resolve) => {
      const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
      timers.add(t);
    });

  function nextFault() {
    const head = faults[0];
    if (!head) return null;
    head.remaining -= 1;
    if (head.remaining <= 0) faults.shift();
    return head.fault;
  }

  function logLine(attempt, method, pathname) {
    if (!log) return;
    const parts = [new Date().toISOString(), method, pathname, "->", attempt.status === null ? "dropped" : String(attempt.status)];
    if (attempt.pixelId) parts.push(`pixel=${attempt.pixelId}`);
    if (attempt.eventIds.length) parts.push(`events=${attempt.eventIds.length}`);
    if (attempt.tokenInUrl) parts.push("token-in-url");
    if (attempt.errorCode != null) parts.push(`error=${attempt.errorCode}${attempt.errorSubcode != null ? "/" + attempt.errorSubcode : ""}`);
    if (attempt.faultApplied) parts.push(`fault=${JSON.stringify(attempt.faultApplied)}`);
    try {
      log(parts.join(" "));
    } catch {
      /* a logger failure must not break the server */
    }
  }

  /** Records a request on the events or pixel route; `finish` answers it and completes the record. */
  function track(req, res, url, pixelId, extra = {}) {
    const attempt = {
      pixelId,
      status: undefined,
      faultApplied: null,
      eventIds: [],
      errorCode: null,
      errorSubcode: null,
      method: req.method,
      path: url.pathname,
      at: now(),
      tokenInUrl: url.searchParams.has("access_token"),
      ...extra,
    };
    attempts.push(attempt);
    const finish = (status, body, headers) => {
      attempt.status = status;
      if (isObject(body) && isObject(body.error)) {
        attempt.errorCode = body.error.code ?? null;
        attempt.errorSubcode = body.error.error_subcode ?? null;
      }
      send(res, status, body, headers);
      logLine(attempt, req.method, url.pathname);
    };
    return { attempt, finish };
  }

  /**
   * Takes the next queued fault (shared by the events and the pixel route) and applies it.
   * Returns true when the fault answered or dropped the request (or the sandbox closed during
   * its delay); false when there was none, or only a delay, and the request goes on normally.
   */
  async function applyNextFault(req, url, attempt, finish) {
    const fault = nextFault();
    if (!fault) return false;
    attempt.faultApplied = { ...fault };
    if (fault.delayMs) {
      await sleep(fault.delayMs);
      if (closed) return true;
    }
    if (fault.drop) {
      attempt.status = null;
      logLine(attempt, req.method, url.pathname);
      req.socket.destroy();
      return true;
    }
    if (fault.status != null || fault.error || fault.body !== undefined) {
      const r = faultResponse(fault, now());
      finish(r.status, r.body, r.headers);
      return true;
    }
    return false; // a delay alone: carry on normally
  }

  /**
   * The token and pixel checks both routes share, in this order: missing token (104), EXPIRED
   * (190/463), PASSWORD_CHANGED (190/460), unknown or non-numeric pixel (100/33 "Unsupported
   * <method> request"), wrong token (190). Returns null, or the error response {status, body, headers}.
   */
  function checkToken(token, pixelId, method, nowMs) {
    if (typeof token !== "string" || token === "") return oauthError(104, undefined, nowMs);
    if (token === "EXPIRED") return oauthError(190, 463, nowMs);
    if (token === "PASSWORD_CHANGED") return oauthError(190, 460, nowMs);
    if (!/^\d{1,20}$/.test(pixelId)) return { status: 400, body: unsupportedRequest(pixelId, method) };
    if (tokens !== null) {
      if (!Object.hasOwn(tokens, pixelId)) return { status: 400, body: unsupportedRequest(pixelId, method) };
      if (!sameSecret(tokens[pixelId], token)) return oauthError(190, undefined, nowMs);
    }
    return null;
  }

  /** `appsecret_proof`, when sent: 64 hex characters, and HMAC-SHA256(appSecret, token) when `appSecret` is set. */
  function checkAppsecretProof(proof, token) {
    if (proof === undefined) return null;
    const wellFormed = typeof proof === "string" && /^[0-9a-f]{64}$/i.test(proof);
    const matches = wellFormed && (appSecret === null ||
      sameSecret(proof.toLowerCase(), crypto.createHmac("sha256", appSecret).update(token).digest("hex")));
    if (matches) return null;
    return {
      status: 400,
      body: graphError({
        message: "Invalid appsecret_proof provided in the API argument",
        type: "GraphMethodException",
        code: 100,
      }),
    };
  }

  async function handleEvents(req, res, url, match) {
    const [, version, , , pixelId] = match;
    const { attempt, finish } = track(req, res, url, pixelId);

    if (req.method !== "POST") {
      req.resume();
      return finish(405, unsupportedRequest(pixelId, req.method.toLowerCase()), { allow: "POST" });
    }
    const { tooLarge, buf } = await readBody(req, MAX_BODY_BYTES);
    if (tooLarge) {
      return finish(413, graphError({
        message: `(#100) The request body is larger than the ${MAX_BODY_BYTES} byte limit`,
        code: 100,
        isTransient: false,
      }), { connection: "close" });
    }
    const parsed = await parseParams(buf, req.headers["content-type"]);
    const dataParsed = parsed.params ? parseData(parsed.params.data) : { error: parsed.error };
    if (dataParsed.data) {
      attempt.eventIds = dataParsed.data.map((e) => (isObject(e) && e.event_id != null ? String(e.event_id) : null));
    }

    // Faults apply first: they stand for Meta's side failing, whatever the payload.
    if (await applyNextFault(req, url, attempt, finish)) return;

    const nowMs = now();
    // Authentication: the token belongs in the body, never in the URL.
    if (attempt.tokenInUrl) {
      const r = oauthError(190, undefined, nowMs,
        "Invalid OAuth access token - the access_token was sent in the URL query string; the sandbox only accepts it in the POST body");
      return finish(r.status, r.body, r.headers);
    }
    if (parsed.error) {
      return finish(400, graphError({ message: `(#100) Invalid request body: ${parsed.error}`, code: 100 }));
    }
    const params = parsed.params;
    const token = params.access_token;
    const authError = checkToken(token, pixelId, "post", nowMs) ?? checkAppsecretProof(params.appsecret_proof, token);
    if (authError) return finish(authError.status, authError.body, authError.headers);
    // Payload
    if (params.data === undefined || params.data === null || params.data === "") {
      return finish(400, graphError({ message: "(#100) The parameter data is required", code: 100 }));
    }
    if (dataParsed.error) return finish(400, graphError({ message: dataParsed.error, code: 100 }));
    const events = dataParsed.data;
    const invalid = validateEvents(events, { nowMs, matchingRule });
    if (invalid) return finish(invalid.status, invalid.body);

    const body = { ...params, data: events };
    const headers = { ...req.headers };
    received.push({
      pixelId,
      version,
      body,
      events,
      testEventCode: typeof params.test_event_code === "string" ? params.test_event_code : null,
      at: nowMs,
      encoding: parsed.encoding,
      headers,
    });
    return finish(200, { events_received: events.length, messages: [], fbtrace_id: fbtraceId() }, {
      "facebook-api-version": version,
    });
  }

  /** A field's value for the read route; undefined = left out of the answer. */
  function pixelFieldValue(field, pixelId) {
    switch (field) {
      case "id": return pixelId;
      case "name": return `Sandbox pixel ${pixelId}`;
      case "automatic_matching_fields": return [];
      case "can_proxy": return false;
      case "code": return `<!-- Meta Pixel Code (sandbox) --><script>fbq('init', '${pixelId}');fbq('track', 'PageView');</script>`;
      case "creation_time": return graphTime(PIXEL_CREATION_MS);
      case "data_use_setting": return "ADVERTISING_AND_ANALYTICS";
      case "enable_automatic_matching": return false;
      case "first_party_cookie_status": return "FIRST_PARTY_COOKIE_ENABLED";
      case "is_created_by_business": return true;
      case "is_unavailable": return false;
      case "last_fired_time": {
        let last = null;
        for (const r of received) if (r.pixelId === pixelId && (last === null || r.at > last)) last = r.at;
        return last === null ? undefined : graphTime(last);
      }
      default: return undefined; // creator, owner_ad_account, owner_business
    }
  }

  /** `GET /{version}/{pixelId}`: Graph's read of an AdsPixel node (a token/pixel health check). */
  async function handlePixelRead(req, res, url, match) {
    const [, version, , , pixelId] = match;
    const fields = parseFieldList(url.searchParams.get("fields"));
    const { attempt, finish } = track(req, res, url, pixelId, { fields });
    req.resume();
    if (req.method !== "GET") {
      return finish(405, unsupportedRequest(pixelId, req.method.toLowerCase()), { allow: "GET" });
    }
    if (await applyNextFault(req, url, attempt, finish)) return;

    const nowMs = now();
    // The header is preferred; a token in the query is accepted (Graph does) but recorded.
    const bearer = /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    const token = bearer ? bearer[1] : url.searchParams.get("access_token");
    const authError = checkToken(token, pixelId, "get", nowMs) ??
      checkAppsecretProof(url.searchParams.get("appsecret_proof") ?? undefined, token);
    if (authError) return finish(authError.status, authError.body, authError.headers);

    const unknown = fields.find((f) => !PIXEL_FIELDS.includes(f));
    if (unknown !== undefined) return finish(400, nonexistingField(unknown));

    const body = {};
    for (const f of ["id", "name", ...fields]) {
      if (f in body) continue;
      const v = pixelFieldValue(f, pixelId);
      if (v !== undefined) body[f] = v;
    }
    return finish(200, body, { "facebook-api-version": version, "x-fb-trace-id": fbtraceId() });
  }

  async function handleControl(req, res, url) {
    const route = `${req.method} ${url.pathname.replace(/\/$/, "")}`;
    switch (route) {
      case "POST /__sandbox/faults": {
        const { tooLarge, buf } = await readBody(req, MAX_BODY_BYTES);
        if (tooLarge) return send(res, 413, { error: { message: "body too large" } });
        let list;
        try {
          list = JSON.parse(buf.toString("utf8"));
          if (isObject(list) && Array.isArray(list.faults)) list = list.faults;
          api.injectFaults(list);
        } catch (e) {
          return send(res, 400, { error: { message: `bad fault list: ${e.message}` } });
        }
        return send(res, 200, { ok: true, pending: pendingFaults() });
      }
      case "GET /__sandbox/faults":
        return send(res, 200, { pending: pendingFaults() });
      case "DELETE /__sandbox/faults":
        api.clearFaults();
        return send(res, 200, { ok: true });
      case "POST /__sandbox/reset":
        req.resume();
        api.reset();
        return send(res, 200, { ok: true });
      case "GET /__sandbox/received":
        return send(res, 200, received.map(redactRecord));
      case "GET /__sandbox/attempts":
        return send(res, 200, attempts);
      default:
        req.resume();
        return send(res, 404, { error: { message: `unknown sandbox control route ${route}` } });
    }
  }

  function pendingFaults() {
    return faults.map(({ fault, remaining }) => ({ ...fault, times: remaining }));
  }

  async function handle(req, res) {
    const url = new URL(req.url, "http://sandbox.invalid");
    if (url.pathname === "/healthz") {
      req.resume();
      if (req.method === "GET" || req.method === "HEAD") return send(res, 200, "ok");
      return send(res, 405, "method not allowed", { allow: "GET" });
    }
    if (url.pathname.startsWith("/__sandbox/")) return handleControl(req, res, url);
    const match = EVENTS_ROUTE.exec(url.pathname);
    if (match) return handleEvents(req, res, url, match);
    const pixelMatch = PIXEL_ROUTE.exec(url.pathname);
    if (pixelMatch) return handlePixelRead(req, res, url, pixelMatch);
    req.resume();
    const attempt = { pixelId: null, status: 404, faultApplied: null, eventIds: [], errorCode: 2500,
      errorSubcode: null, method: req.method, path: url.pathname, at: now(),
      tokenInUrl: url.searchParams.has("access_token") };
    attempts.push(attempt);
    send(res, 404, graphError({ message: `Unknown path components: ${url.pathname}`, code: 2500 }));
    logLine(attempt, req.method, url.pathname);
  }

  const server = http.createServer((req, res) => {
    if (clockSkewMs !== 0) {
      // Stamp the Date header when the head is written (after any fault delay), shifted.
      const writeHead = res.writeHead;
      res.writeHead = function (...args) {
        res.setHeader("date", new Date(Date.now() + clockSkewMs).toUTCString());
        return writeHead.apply(this, args);
      };
    }
    handle(req, res).catch((e) => {
      if (!res.headersSent && !res.destroyed) {
        send(res, 500, graphError({ message: `sandbox internal error: ${e.message}`, code: 1, isTransient: true }));
      }
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const urlHost = address.family === "IPv6" || address.family === 6 ? `[${address.address}]` : address.address;

  const api = {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    received,
    attempts,
    /** Appends faults to the queue; each applies to the next `times` requests on the events or pixel route, in order. */
    injectFaults(list) {
      faults.push(...normalizeFaults(list));
    },
    clearFaults() {
      faults = [];
    },
    /** Faults not consumed yet, with their remaining `times`. */
    get pendingFaults() {
      return pendingFaults();
    },
    /** Empties received, attempts (same arrays) and the fault queue. */
    reset() {
      received.length = 0;
      attempts.length = 0;
      faults = [];
    },
    /** Stops listening, drops every open socket (incl. delayed requests). Idempotent. */
    close() {
      if (closed) return closePromise;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      closePromise = new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections?.();
      });
      return closePromise;
    },
  };
  let closePromise = null;
  return api;
}

// ---------------------------------------------------------------------------------------------
// CLI

function parseArgs(argv) {
  const opts = { port: 0, host: "127.0.0.1", tokens: null, appSecret: null, matchingRule: true, clockSkewMs: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--port") opts.port = Number(value());
    else if (a.startsWith("--port=")) opts.port = Number(a.slice(7));
    else if (a === "--host") opts.host = value();
    else if (a === "--token") {
      const v = value();
      const eq = v.indexOf("=");
      if (eq < 1) throw new Error("--token takes PIXEL_ID=TOKEN");
      (opts.tokens ??= {})[v.slice(0, eq)] = v.slice(eq + 1);
    } else if (a === "--app-secret") opts.appSecret = value();
    else if (a === "--no-matching-rule") opts.matchingRule = false;
    else if (a === "--clock-skew-ms") opts.clockSkewMs = Number(value());
    else if (a === "--help" || a === "-h") opts.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error("--port must be 0..65535");
  if (!Number.isFinite(opts.clockSkewMs)) throw new Error("--clock-skew-ms must be a number of milliseconds");
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`meta-sandbox: ${e.message}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log("usage: node sandbox/meta-sandbox.mjs [--port N] [--host 127.0.0.1] [--token PIXEL=TOKEN ...] [--app-secret S] [--no-matching-rule] [--clock-skew-ms N]");
    return;
  }
  const { help, ...options } = opts;
  const sandbox = await startMetaSandbox({ ...options, log: (line) => console.log(line) });
  console.log(sandbox.url);
  const stop = () => sandbox.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main();
}
