// The public API over the wasm exports. Deliberately thin: values cross as JSON text and every
// decision (normalization, hashing, validation, error reports) is made in Rust.

/** Serialize for wasm without throwing (cycles and BigInts become a structured error). */
function toJson(value) {
  try {
    return { text: JSON.stringify(value) ?? "null" };
  } catch (e) {
    return { error: { code: "unserializable_input", message: String(e && e.message) } };
  }
}

/** The host's local calendar year (Meta's normalizer checks birth years against it). */
function year() {
  return new Date().getFullYear();
}

function call(fn, input) {
  const json = toJson(input);
  return json.error ? { error: json.error } : JSON.parse(fn(json.text, year()));
}

/** 16 random bytes from the host (event ids, generated fbp). */
function entropy() {
  return globalThis.crypto.getRandomValues(new Uint8Array(16));
}

function makeTag(wasm, config) {
  const json = toJson(config);
  // Unserializable config: let Rust report it as unreadable JSON, like any other bad config.
  const tag = new wasm.WasmTag(json.error ? "" : json.text);
  return {
    configReport: JSON.parse(tag.configReport()),
    build(eventData, request = {}, options = {}) {
      const event = toJson(eventData);
      const req = toJson(request);
      const now = options.now instanceof Date ? options.now.getTime() : Number(options.now ?? Date.now());
      // First line: the result; then one line per request body (exact text to POST).
      const [head, ...bodies] = tag.build(event.error ? "" : event.text, req.error ? "null" : req.text, now, entropy()).split("\n");
      const result = JSON.parse(head);
      result.requests.forEach((r, i) => (r.body = bodies[i]));
      return result;
    },
  };
}

export function makeApi(wasm) {
  return {
    createTag: (config) => makeTag(wasm, config),
    normalize: (field, value) => call(wasm.normalizeJson, { field, value }),
    hashUserData: (record) => {
      const out = call(wasm.hashUserDataJson, [record]);
      return Array.isArray(out) ? out[0] : out;
    },
    hashUserDataBatch: (records) => call(wasm.hashUserDataJson, records),
    normalizeLines: (text, firstLine = 1) => {
      const r = wasm.normalizeLines(String(text), firstLine >>> 0, year());
      const out = { output: r.output, lines: r.lines, errors: r.errors, hashed: r.hashed, dropped: r.dropped };
      r.free();
      return out;
    },
  };
}
