// Differential test: our wasm normalizer against Meta's capi-param-builder-nodejs 1.3.2 (the
// normalizer Meta's Node business SDK delegates to) on a seeded corpus of messy values.
// Expected: 100% agreement on the hash and on the decision to drop.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { normalize, hashUserDataBatch } from "omni-meta-capi";
import { corpus, records, FIELDS } from "./corpus.mjs";

const require = createRequire(import.meta.url);
const { ParamBuilder } = require("capi-param-builder-nodejs");
const builder = new ParamBuilder();
const DATA_TYPE = {
  em: "email", ph: "phone", fn: "first_name", ln: "last_name", ge: "gender", db: "date_of_birth",
  ct: "city", st: "state", zp: "zip_code", country: "country", external_id: "external_id",
};

/** Meta's output without its appendix: `<hex>.<token>` -> lowercase `<hex>`; null stays null. */
function metaHash(field, value) {
  const out = builder.getNormalizedAndHashedPII(value, DATA_TYPE[field]);
  return out == null ? null : out.slice(0, out.lastIndexOf(".")).toLowerCase();
}

test("11,000 messy values across all 11 fields: identical hashes and drop decisions", () => {
  const values = corpus(20261128, 11_000);
  const mismatches = [];
  const perField = Object.fromEntries(FIELDS.map((f) => [f, { hashed: 0, dropped: 0 }]));
  for (const { field, value } of values) {
    const ours = normalize(field, value);
    const theirs = metaHash(field, value);
    perField[field][ours.hash == null ? "dropped" : "hashed"]++;
    if (ours.hash !== theirs) mismatches.push({ field, value, ours: ours.hash, theirs, normalized: ours.normalized });
  }
  assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} of ${values.length} differ`);
  // The corpus must exercise both outcomes for every field, or agreement proves little.
  for (const f of FIELDS) {
    assert.ok(perField[f].hashed > 50, `${f}: too few hashed values`);
    if (f !== "ph" && f !== "external_id" && f !== "fn" && f !== "ln") {
      assert.ok(perField[f].dropped > 10, `${f}: too few dropped values`);
    }
  }
});

test("batch API agrees with Meta's builder on whole records", () => {
  const recs = records(7, 1000);
  const out = hashUserDataBatch(recs);
  assert.equal(out.length, recs.length);
  recs.forEach((rec, i) => {
    for (const f of FIELDS) {
      const theirs = metaHash(f, rec[f]);
      const ours = out[i].userData[f];
      assert.deepEqual(ours ?? null, theirs == null ? null : [theirs], `${f} ${JSON.stringify(rec[f])}`);
    }
  });
});

test("Meta's documentation examples", () => {
  const rows = [
    ["em", "John_Smith@gmail.com", "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"],
    ["ph", "+1 (650) 555-1212", "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"],
    ["fn", "Valéry", "08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c"],
    ["db", "2/16/1997", "01acdbf6ec7b4f478a225f1a246e5d6767eeab1a7ffa17f025265b5b94f40f0c"],
  ];
  for (const [field, value, hash] of rows) {
    assert.equal(normalize(field, value).hash, hash);
    assert.equal(metaHash(field, value), hash);
  }
});
