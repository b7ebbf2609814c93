// HTTP plumbing shared by the identity service's routes: the error type every refusal is thrown
// as, the answer shapes, and bounded JSON body reading. Every malformed input becomes a 4xx with
// {"success": false, "error": {"code", "message"}} naming the field; never a 500.
export const MAX_BODY = 16 * 1024;
export const MAX_FIELD = 1024;
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

export class HttpError extends Error {
  constructor(status, code, message, headers = {}, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
    this.extra = extra;
  }
}

export const badParameter = (message) => new HttpError(400, "INVALID_PARAMETER", message);

export const ok = (data, headers = {}) =>
  new Response(JSON.stringify({ success: true, data }), { status: 200, headers: { ...JSON_HEADERS, ...headers } });

export const fail = (status, code, message, headers = {}, extra = {}) =>
  new Response(JSON.stringify({ success: false, error: { message, code, ...extra } }), { status, headers: { ...JSON_HEADERS, ...headers } });

export const plainJson = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });

/** The body as a JSON object, at most MAX_BODY bytes (declared or streamed). */
export async function readJsonBody(request) {
  const tooLarge = () => new HttpError(413, "PAYLOAD_TOO_LARGE", `the body exceeds ${MAX_BODY} bytes`);
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > MAX_BODY) throw tooLarge();
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
        throw tooLarge();
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

/** body[field] as a string (undefined when absent or null); 400 naming the field otherwise. */
export function optionalString(body, field) {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw badParameter(`${field} must be a string`);
  if (v.length > MAX_FIELD) throw badParameter(`${field} is longer than ${MAX_FIELD} characters`);
  return v;
}

/** A trimmed non-empty string or null. */
export function trimmed(body, field) {
  const v = optionalString(body, field);
  return v === undefined || v.trim() === "" ? null : v.trim();
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
