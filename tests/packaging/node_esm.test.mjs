// The installed package through Node's ESM loader (exports condition "node" -> "import").
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pkg from "omni-meta-capi";

test("ESM entry exposes the API", () => {
  for (const name of ["normalize", "hashUserData", "hashUserDataBatch", "normalizeLines"]) {
    assert.equal(typeof pkg[name], "function", name);
  }
});

test("normalize: hash, drop with reason, unknown field", () => {
  assert.deepEqual(pkg.normalize("em", " John@Example.com "), {
    field: "em",
    normalized: "john@example.com",
    hash: "855f96e983f1f8e8be944692b6f719fd54329826cb62e98015efee8e2e071dd4",
  });
  const dropped = pkg.normalize("ge", "other");
  assert.equal(dropped.hash, null);
  assert.equal(dropped.reason, "unknown_gender");
  assert.equal(pkg.normalize("email", "a@b.co").reason, "unknown_field");
  assert.equal(pkg.normalize("zp", 94025).normalized, "94025");
});

test("hashUserData: lists deduplicated in order, plain keys untouched, unknown keys reported", () => {
  const out = pkg.hashUserData({
    em: ["B@x.com", "b@x.com ", "nope", "a@x.com"],
    client_ip_address: "2a02:cf40::1",
    client_user_agent: "Mozilla/5.0",
    favourite_colour: "blue",
  });
  assert.equal(out.userData.em.length, 2);
  assert.equal(out.userData.em[0], pkg.normalize("em", "b@x.com").hash);
  assert.equal(out.userData.client_ip_address, "2a02:cf40::1");
  assert.deepEqual(out.dropped, [
    { field: "em", index: 2, reason: "invalid_email" },
    { field: "favourite_colour", index: 0, reason: "unknown_key" },
  ]);
  // Plaintext PII never survives into the output.
  assert.ok(!JSON.stringify(out.userData).includes("@x.com"));
});

test("bad input gives structured errors, never an exception", () => {
  const cyclic = {};
  cyclic.self = cyclic;
  assert.equal(pkg.hashUserData(cyclic).error.code, "unserializable_input");
  assert.equal(pkg.hashUserData(10n).error.code, "unserializable_input");
  assert.equal(pkg.hashUserDataBatch("nope").error.code, "invalid_input");
  assert.equal(pkg.hashUserData(undefined).error, "record is not an object");
  assert.equal(pkg.normalize(undefined, undefined).reason, "unknown_field");
  assert.equal(pkg.normalize("em", { toString: 1 }).reason, "not_text");
  assert.equal(pkg.normalize("em", null).reason, "not_text");
});
