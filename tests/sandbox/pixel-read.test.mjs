// The sandbox's Graph read of a pixel, GET /{version}/{pixelId} (for a `doctor` health check),
// over real sockets on 127.0.0.1. Run: node --test tests/sandbox/
import { describe, it, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";
import { NOW_MS, PIXEL, TOKEN, answer, assertMetaError } from "./helpers.mjs";

const UNSUPPORTED_GET = (id) =>
  `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`;

async function read(sb, { pixel = PIXEL, version = "v25.0", query = "", token = TOKEN, method = "GET", headers = {} } = {}) {
  const res = await fetch(`${sb.url}/${version}/${pixel}${query}`, {
    method,
    headers: token == null ? headers : { authorization: `Bearer ${token}`, ...headers },
  });
  return answer(res);
}


describe("GET /{version}/{pixelId}", () => {
  let sb;
  before(async () => {
    sb = await startMetaSandbox({ tokens: { [PIXEL]: TOKEN }, now: () => NOW_MS });
  });
  after(() => sb.close());
  beforeEach(() => sb.reset());

  it("answers id and name for a token in the Authorization header, and records the read", async () => {
    const r = await read(sb);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { id: PIXEL, name: `Sandbox pixel ${PIXEL}` });
    assert.equal(r.headers.get("facebook-api-version"), "v25.0");
    assert.match(r.headers.get("x-fb-trace-id"), /^[A-Za-z0-9_-]{20,}$/);
    const date = Date.parse(r.headers.get("date"));
    assert.ok(Math.abs(date - Date.now()) < 5000, "Node's Date header, unshifted by default");
    assert.deepEqual(sb.attempts, [
      {
        pixelId: PIXEL, status: 200, faultApplied: null, eventIds: [], errorCode: null, errorSubcode: null,
        method: "GET", path: `/v25.0/${PIXEL}`, at: NOW_MS, tokenInUrl: false, fields: [],
      },
    ]);
    assert.equal(sb.received.length, 0, "reads are not pushed to received");
    // A trailing slash and the OAuth scheme work too.
    const slash = await read(sb, { pixel: `${PIXEL}/`, token: null, headers: { authorization: `OAuth ${TOKEN}` } });
    assert.equal(slash.status, 200, slash.text);
  });

  it("accepts access_token in the query (as Graph does) but records tokenInUrl", async () => {
    const r = await read(sb, { token: null, query: `?access_token=${TOKEN}&fields=id` });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id, PIXEL);
    assert.equal(sb.attempts.length, 1);
    assert.equal(sb.attempts[0].tokenInUrl, true);
    assert.equal(sb.attempts[0].path, `/v25.0/${PIXEL}`);
    assert.ok(!JSON.stringify(sb.attempts).includes(TOKEN), "attempts keep no token");
    // Header and query both: the header wins, and the URL token is still recorded.
    const both = await read(sb, { query: "?access_token=wrong" });
    assert.equal(both.status, 200, both.text);
    assert.equal(sb.attempts[1].tokenInUrl, true);
  });

  it("answers requested fields, with last_fired_time from the last accepted event", async () => {
    const fields = "name,last_fired_time,is_unavailable,creation_time,data_use_setting,owner_business";
    const before = await read(sb, { query: `?fields=${fields}` });
    assert.equal(before.status, 200, before.text);
    assert.deepEqual(before.json, {
      id: PIXEL,
      name: `Sandbox pixel ${PIXEL}`,
      is_unavailable: false,
      creation_time: "2024-01-01T00:00:00+0000",
      data_use_setting: "ADVERTISING_AND_ANALYTICS",
    }, "fields without a value (never fired, no owner) are left out, as Graph does");
    assert.deepEqual(sb.attempts[0].fields, fields.split(","));

    const sha = (s) => crypto.createHash("sha256").update(s).digest("hex");
    const post = await fetch(`${sb.url}/v25.0/${PIXEL}/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        access_token: TOKEN,
        data: [{ event_name: "Lead", event_time: NOW_MS / 1000 - 60, action_source: "system_generated",
          user_data: { em: [sha("a@b.co")] } }],
      }),
    });
    assert.equal(post.status, 200, await post.text());
    const after = await read(sb, { query: "?fields=id,last_fired_time" });
    assert.equal(after.json.last_fired_time, "2026-09-12T12:00:00+0000");
  });

  it("answers Graph's nonexisting-field error for an unknown field", async () => {
    const r = await read(sb, { query: "?fields=id,name,xyz,abc" });
    const e = assertMetaError(r, { code: 100 });
    assert.equal(e.message, "(#100) Tried accessing nonexisting field (xyz) on node type (AdsPixel)");
    assert.equal(sb.attempts[0].errorCode, 100);
    // Nested field syntax names the outer field.
    const nested = assertMetaError(await read(sb, { query: "?fields=stats{count,value}" }), { code: 100 });
    assert.match(nested.message, /\(stats\)/);
  });

  it("answers 104 when no token is sent", async () => {
    const r = await read(sb, { token: null });
    const e = assertMetaError(r, { code: 104 });
    assert.equal(e.message, "An access token is required to request this resource.");
    assert.equal(sb.attempts[0].errorCode, 104);
  });

  it("answers 190/463 with WWW-Authenticate for EXPIRED, 190/460 for PASSWORD_CHANGED", async () => {
    const r = await read(sb, { token: "EXPIRED" });
    const e = assertMetaError(r, { code: 190, subcode: 463 });
    assert.match(e.message, /^Error validating access token: Session has expired on /);
    assert.match(r.headers.get("www-authenticate"), /^OAuth "Facebook Platform" "invalid_token" "Error validating access token/);
    const changed = assertMetaError(await read(sb, { token: "PASSWORD_CHANGED" }), { code: 190, subcode: 460 });
    assert.match(changed.message, /changed their password/);
    assert.deepEqual(sb.attempts.map((a) => [a.errorCode, a.errorSubcode]), [[190, 463], [190, 460]]);
  });

  it("answers 190 for a wrong token", async () => {
    const r = await read(sb, { token: "wrong" });
    const e = assertMetaError(r, { code: 190 });
    assert.equal(e.message, "Invalid OAuth access token - Cannot parse access token");
    assert.match(r.headers.get("www-authenticate"), /^OAuth "Facebook Platform" "invalid_token"/);
  });

  it("answers 100/33 with Graph's GET text for an unknown or non-numeric pixel", async () => {
    for (const pixel of ["999", "me"]) {
      const e = assertMetaError(await read(sb, { pixel }), { code: 100, subcode: 33, type: "GraphMethodException" });
      assert.equal(e.message, UNSUPPORTED_GET(pixel));
    }
  });

  it("checks appsecret_proof from the query like the events route", async () => {
    const bad = assertMetaError(await read(sb, { query: "?appsecret_proof=nothex" }), { code: 100, type: "GraphMethodException" });
    assert.equal(bad.message, "Invalid appsecret_proof provided in the API argument");
    const proof = crypto.createHmac("sha256", "any").update(TOKEN).digest("hex");
    assert.equal((await read(sb, { query: `?appsecret_proof=${proof}` })).status, 200);
  });

  it("answers 405 with Allow: GET for other methods, without taking a fault", async () => {
    sb.injectFaults([{ status: 500 }]);
    for (const method of ["POST", "DELETE", "PUT"]) {
      const r = await read(sb, { method });
      const e = assertMetaError(r, { status: 405, code: 100, subcode: 33, type: "GraphMethodException" });
      assert.equal(r.headers.get("allow"), "GET");
      assert.match(e.message, new RegExp(`^Unsupported ${method.toLowerCase()} request`));
    }
    assert.equal(sb.pendingFaults.length, 1, "405s do not consume the queued fault");
    assert.deepEqual(sb.attempts.map((a) => [a.method, a.status]), [["POST", 405], ["DELETE", 405], ["PUT", 405]]);
  });

  it("applies queued faults (shared with the events route) to reads", async () => {
    sb.injectFaults([{ status: 500 }, { delayMs: 300 }, { drop: true }, { error: { code: 190, subcode: 463 } }, { status: 503 }]);
    const e = assertMetaError(await read(sb), { status: 500, code: 1 });
    assert.equal(e.is_transient, true);

    const t0 = performance.now();
    const slow = await read(sb);
    assert.ok(performance.now() - t0 >= 290, "the delay holds the response");
    assert.equal(slow.status, 200, "a delay alone then serves normally");

    await assert.rejects(read(sb), TypeError, "a dropped connection makes fetch reject");

    const expired = await read(sb);
    assertMetaError(expired, { code: 190, subcode: 463 });
    assert.match(expired.headers.get("www-authenticate"), /invalid_token/);

    // The next fault is consumed by the next request on either route: here an events POST.
    const post = await fetch(`${sb.url}/v25.0/${PIXEL}/events`, { method: "POST", body: "{}" });
    assert.equal(post.status, 503);
    assert.deepEqual(sb.pendingFaults, []);
    assert.equal((await read(sb)).status, 200);

    assert.deepEqual(
      sb.attempts.map((a) => [a.method, a.status, a.faultApplied]),
      [
        ["GET", 500, { status: 500 }],
        ["GET", 200, { delayMs: 300 }],
        ["GET", null, { drop: true }],
        ["GET", 400, { error: { code: 190, subcode: 463 } }],
        ["POST", 503, { status: 503 }],
        ["GET", 200, null],
      ],
    );
  });
});

describe("GET /{version}/{pixelId} with tokens: null", () => {
  let sb;
  before(async () => {
    sb = await startMetaSandbox();
  });
  after(() => sb.close());

  it("answers any numeric pixel with any non-empty token", async () => {
    const r = await read(sb, { pixel: "42", token: "whatever" });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { id: "42", name: "Sandbox pixel 42" });
    assertMetaError(await read(sb, { pixel: "42", token: null }), { code: 104 });
    assertMetaError(await read(sb, { pixel: "42", token: "EXPIRED" }), { code: 190, subcode: 463 });
    const e = assertMetaError(await read(sb, { pixel: "abc", token: "whatever" }), { code: 100, subcode: 33, type: "GraphMethodException" });
    assert.equal(e.message, UNSUPPORTED_GET("abc"));
  });
});

describe("clockSkewMs", () => {
  const skewCases = [
    ["ahead", 3_600_000],
    ["behind", -600_000],
  ];
  for (const [label, skew] of skewCases) {
    it(`shifts the Date header of every response (${label})`, async () => {
      const sb = await startMetaSandbox({ tokens: { [PIXEL]: TOKEN }, clockSkewMs: skew });
      try {
        for (const r of [
          await read(sb),
          await read(sb, { token: "wrong" }),
          await fetch(`${sb.url}/healthz`),
          await fetch(`${sb.url}/v25.0/${PIXEL}/events`, { method: "POST", body: "{}" }),
        ]) {
          const date = Date.parse(r.headers.get("date"));
          assert.ok(Number.isFinite(date), `one parseable Date header: ${r.headers.get("date")}`);
          const diff = date - Date.now();
          assert.ok(Math.abs(diff - skew) < 5000, `Date is off by ${diff} ms, expected about ${skew}`);
        }
      } finally {
        await sb.close();
      }
    });
  }

  it("rejects a non-number", async () => {
    await assert.rejects(startMetaSandbox({ clockSkewMs: "5s" }), /clockSkewMs/);
    await assert.rejects(startMetaSandbox({ clockSkewMs: Infinity }), /clockSkewMs/);
  });
});
