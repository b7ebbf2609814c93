// Shared by the sandbox tests: the test pixel and token, an HTTP answer read as text and JSON,
// and the check of a Graph error body.
import assert from "node:assert/strict";

export const PIXEL = "1234567890";
export const TOKEN = "EAAB-test-token-secret-value";
export const NOW_MS = Date.UTC(2026, 8, 12, 12, 0, 0);

/** `{status, headers, json (undefined if not JSON), text}` of a fetch. */
export async function answer(responsePromise) {
  const res = await responsePromise;
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** A Graph error body with this status, code, subcode and type; returns the error object. */
export function assertMetaError(r, { status = 400, code, subcode, type = "OAuthException" }) {
  assert.equal(r.status, status, r.text);
  assert.ok(r.json && typeof r.json.error === "object", r.text);
  const e = r.json.error;
  assert.equal(e.code, code, r.text);
  assert.equal(e.type, type, r.text);
  if (subcode === undefined) assert.equal(e.error_subcode, undefined, r.text);
  else assert.equal(e.error_subcode, subcode, r.text);
  assert.equal(typeof e.message, "string");
  assert.match(e.fbtrace_id, /^[A-Za-z0-9_-]{20,}$/);
  return e;
}
