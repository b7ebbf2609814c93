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

function call(fn, input) {
  const json = toJson(input);
  return json.error ? { error: json.error } : JSON.parse(fn(json.text));
}

export function makeApi(wasm) {
  return {
    normalize: (field, value) => call(wasm.normalizeJson, { field, value }),
    hashUserData: (record) => {
      const out = call(wasm.hashUserDataJson, [record]);
      return Array.isArray(out) ? out[0] : out;
    },
    hashUserDataBatch: (records) => call(wasm.hashUserDataJson, records),
    normalizeLines: (text, firstLine = 1) => {
      const r = wasm.normalizeLines(String(text), firstLine >>> 0);
      const out = { output: r.output, lines: r.lines, errors: r.errors, hashed: r.hashed, dropped: r.dropped };
      r.free();
      return out;
    },
  };
}
