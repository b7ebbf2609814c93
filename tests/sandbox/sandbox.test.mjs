// The local Meta CAPI sandbox (sandbox/meta-sandbox.mjs), over real sockets on 127.0.0.1.
// Run: node --test tests/sandbox/
import { describe, it, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";
import { NOW_MS, PIXEL, TOKEN, answer, assertMetaError } from "./helpers.mjs";

const NOW_S = NOW_MS / 1000;
const DAY = 86_400;
const sha = (s) => crypto.createHash("sha256").update(s).digest("hex");

function event(overrides = {}, userData = {}) {
  return {
    event_name: "Purchase",
    event_time: NOW_S - 60,
    event_id: "evt-1",
    action_source: "website",
    event_source_url: "https://shop.example.com/thank-you",
    user_data: {
      em: [sha("john_smith@gmail.com")],
      ph: [sha("16505551212")],
      client_ip_address: "81.2.69.42",
      client_user_agent: "Mozilla/5.0",
      fbp: "fb.1.1717000000000.1234567890",
      ...userData,
    },
    custom_data: { value: 129.9, currency: "USD" },
    ...overrides,
  };
}

async function post(sb, body, { pixel = PIXEL, version = "v25.0", query = "", headers, raw } = {}) {
  const res = await fetch(`${sb.url}/${version}/${pixel}/events${query}`, {
    method: "POST",
    headers: raw ? headers : { "content-type": "application/json", ...headers },
    body: raw ?? JSON.stringify(body),
  });
  return answer(res);
}

const send = (sb, data, extra = {}) => post(sb, { data, access_token: TOKEN, ...extra });


describe("meta sandbox", () => {
  let sb;
  before(async () => {
    sb = await startMetaSandbox({ tokens: { [PIXEL]: TOKEN }, now: () => NOW_MS });
  });
  after(() => sb.close());
  beforeEach(() => sb.reset());

  it("binds 127.0.0.1 and answers /healthz", async () => {
    assert.match(sb.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${sb.url}/healthz`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "ok");
    await assert.rejects(startMetaSandbox({ host: "0.0.0.0" }), /loopback/);
  });

  it("accepts a valid request and records it", async () => {
    const r = await send(sb, [event(), event({ event_id: "evt-2", event_name: "Lead", custom_data: undefined })], {
      test_event_code: "TEST123",
      partner_agent: "omni-meta-capi",
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json), ["events_received", "messages", "fbtrace_id"]);
    assert.equal(r.json.events_received, 2);
    assert.deepEqual(r.json.messages, []);
    assert.match(r.json.fbtrace_id, /^[A-Za-z0-9_-]{20,}$/);
    assert.equal(r.headers.get("x-fb-trace-id"), r.json.fbtrace_id);

    assert.equal(sb.received.length, 1);
    const rec = sb.received[0];
    assert.equal(rec.pixelId, PIXEL);
    assert.equal(rec.version, "v25.0");
    assert.equal(rec.testEventCode, "TEST123");
    assert.equal(rec.at, NOW_MS);
    assert.equal(rec.events.length, 2);
    assert.equal(rec.events[1].event_id, "evt-2");
    assert.equal(rec.body.partner_agent, "omni-meta-capi");
    assert.equal(rec.body.access_token, TOKEN, "in-process records keep the body as sent");
    assert.deepEqual(sb.attempts, [
      {
        pixelId: PIXEL, status: 200, faultApplied: null, eventIds: ["evt-1", "evt-2"],
        errorCode: null, errorSubcode: null, method: "POST", path: `/v25.0/${PIXEL}/events`, at: NOW_MS,
        tokenInUrl: false,
      },
    ]);
  });

  it("accepts appendix-suffixed hashes, raw external_id, IPv6, LDU and a 62-day-old physical_store event", async () => {
    const r = await send(sb, [
      event({}, {
        em: `${sha("a@b.co")}.AQQCAQMB`,
        external_id: ["user-42"],
        client_ip_address: "2a02:cf40::1",
        fbc: "fb.1.1554763741205.AbCdEfGhIjKlMnOpQrStUvWxYz1234567890.BA",
      }),
      event({
        event_id: "evt-ldu", data_processing_options: ["LDU"],
        data_processing_options_country: 1, data_processing_options_state: 1000,
      }),
      event({ event_id: "evt-store", action_source: "physical_store", event_source_url: undefined, event_time: NOW_S - 61 * DAY }),
    ]);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.events_received, 3);
  });

  describe("authentication", () => {
    it("rejects a wrong token with 190", async () => {
      const r = await post(sb, { data: [event()], access_token: "wrong" });
      const e = assertMetaError(r, { code: 190 });
      assert.equal(e.message, "Invalid OAuth access token - Cannot parse access token");
      assert.match(r.headers.get("www-authenticate"), /^OAuth "Facebook Platform" "invalid_token"/);
      assert.equal(sb.received.length, 0);
      assert.equal(sb.attempts[0].status, 400);
      assert.equal(sb.attempts[0].errorCode, 190);
    });

    it("rejects a token in the URL query with 190, even with a good body token", async () => {
      const r = await post(sb, { data: [event()], access_token: TOKEN }, { query: `?access_token=${TOKEN}` });
      const e = assertMetaError(r, { code: 190 });
      assert.match(e.message, /query string/);
      assert.equal(sb.received.length, 0);
      assert.ok(!JSON.stringify(sb.attempts).includes(TOKEN), "attempts keep no query string");
      assert.equal(sb.attempts[0].tokenInUrl, true);
    });

    it("rejects a missing token with Graph's 104", async () => {
      const e = assertMetaError(await post(sb, { data: [event()] }), { code: 104 });
      assert.equal(e.message, "An access token is required to request this resource.");
    });

    it("answers 190/463 for the token EXPIRED and 190/460 for PASSWORD_CHANGED", async () => {
      const expired = assertMetaError(await post(sb, { data: [event()], access_token: "EXPIRED" }), { code: 190, subcode: 463 });
      assert.match(expired.message, /^Error validating access token: Session has expired on /);
      const changed = assertMetaError(await post(sb, { data: [event()], access_token: "PASSWORD_CHANGED" }), { code: 190, subcode: 460 });
      assert.match(changed.message, /changed their password/);
    });

    it("rejects an unknown pixel with 100/33 GraphMethodException (tokens map)", async () => {
      const r = await post(sb, { data: [event()], access_token: TOKEN }, { pixel: "999" });
      const e = assertMetaError(r, { code: 100, subcode: 33, type: "GraphMethodException" });
      assert.match(e.message, /^Unsupported post request\. Object with ID '999' does not exist/);
    });

    it("checks appsecret_proof: 64 hex accepted, anything else is error 100", async () => {
      const proof = crypto.createHmac("sha256", "secret").update(TOKEN).digest("hex");
      assert.equal((await send(sb, [event()], { appsecret_proof: proof })).status, 200);
      const r = await send(sb, [event()], { appsecret_proof: "abc" });
      const e = assertMetaError(r, { code: 100, type: "GraphMethodException" });
      assert.equal(e.message, "Invalid appsecret_proof provided in the API argument");
    });

    it("with appSecret set, verifies the proof", async () => {
      const strict = await startMetaSandbox({ appSecret: "shh", now: () => NOW_MS });
      try {
        const good = crypto.createHmac("sha256", "shh").update("any-token").digest("hex");
        const bad = crypto.createHmac("sha256", "nope").update("any-token").digest("hex");
        const ok = await post(strict, { data: [event()], access_token: "any-token", appsecret_proof: good });
        assert.equal(ok.status, 200, ok.text);
        assertMetaError(await post(strict, { data: [event()], access_token: "any-token", appsecret_proof: bad }),
          { code: 100, type: "GraphMethodException" });
      } finally {
        await strict.close();
      }
    });
  });

  describe("validation (one invalid event rejects the batch, nothing recorded)", () => {
    const cases = [
      {
        name: "plaintext email",
        data: () => [event({}, { em: ["john_smith@gmail.com"] })],
        subcode: 2804019,
        msg: /\$\['data'\]\[0\]\['user_data'\]\['em'\] must be hashed/,
      },
      {
        name: "uppercase hex is not Meta's lowercase hash",
        data: () => [event({}, { ph: sha("16505551212").toUpperCase() })],
        subcode: 2804019,
        msg: /\['user_data'\]\['ph'\] must be hashed/,
      },
      {
        name: "event_time older than 7 days",
        data: () => [event({ event_time: NOW_S - 8 * DAY })],
        subcode: 2804003,
        title: "Event Timestamp Too Old",
        msg: /within 7 days/,
      },
      {
        name: "physical_store event older than 62 days",
        data: () => [event({ action_source: "physical_store", event_time: NOW_S - 63 * DAY })],
        subcode: 2804003,
        msg: /within 62 days/,
      },
      {
        name: "event_time in the future (milliseconds)",
        data: () => [event({ event_time: NOW_MS })],
        subcode: 2804019,
        msg: /\['event_time'\] is invalid: the value is in the future/,
      },
      {
        name: "website event without client_user_agent",
        data: () => {
          const e = event();
          delete e.user_data.client_user_agent;
          return [e];
        },
        subcode: 2804019,
        msg: /\['user_data'\]\['client_user_agent'\] is required for website events/,
      },
      {
        name: "website event without event_source_url",
        data: () => [event({ event_source_url: undefined })],
        subcode: 2804019,
        msg: /\['event_source_url'\] is required for website events/,
      },
      {
        name: "unknown action_source",
        data: () => [event({ action_source: "Website" })],
        subcode: 2804019,
        msg: /\['action_source'\] must be one of/,
      },
      {
        name: "missing event_name",
        data: () => [event({ event_name: undefined })],
        subcode: 2804019,
        msg: /^The parameter \$\['data'\]\[0\]\['event_name'\] is required\.$/,
      },
      {
        name: "missing user_data",
        data: () => [event({ user_data: undefined })],
        subcode: 2804019,
        msg: /\['user_data'\] is required/,
      },
      {
        name: "LDU country 2",
        data: () => [event({ data_processing_options: ["LDU"], data_processing_options_country: 2, data_processing_options_state: 1000 })],
        subcode: 2804019,
        msg: /data_processing_options_country'\] must be 0 or 1/,
      },
      {
        name: "LDU state 6",
        data: () => [event({ data_processing_options: ["LDU"], data_processing_options_country: 1, data_processing_options_state: 6 })],
        subcode: 2804019,
        msg: /data_processing_options_state'\] must be 0 or 1000/,
      },
      {
        name: "LDU without country",
        data: () => [event({ data_processing_options: ["LDU"] })],
        subcode: 2804019,
        msg: /data_processing_options_country'\] is required with LDU/,
      },
      {
        name: "data_processing_options not [] or [\"LDU\"]",
        data: () => [event({ data_processing_options: "LDU" })],
        subcode: 2804019,
        msg: /must be \[\] or \["LDU"\]/,
      },
      {
        name: "more than 1000 events",
        data: () => Array.from({ length: 1001 }, (_, i) => event({ event_id: `e${i}` })),
        subcode: 2804019,
        msg: /up to 1000 events/,
      },
      {
        name: "empty data",
        data: () => [],
        subcode: 2804019,
        msg: /\$\['data'\] is empty/,
      },
      {
        name: "malformed fbc",
        data: () => [event({}, { fbc: "fb.1.notdigits.AbC" })],
        subcode: 2804019,
        msg: /\['user_data'\]\['fbc'\] is malformed/,
      },
      {
        name: "fbc with a bad appendix",
        data: () => [event({}, { fbc: "fb.1.1554763741205.AbC.x" })],
        subcode: 2804019,
        msg: /\['fbc'\] is malformed/,
      },
      {
        name: "invalid client_ip_address",
        data: () => [event({}, { client_ip_address: "999.1.1.1" })],
        subcode: 2804019,
        msg: /client_ip_address'\] must be a valid IPv4 or IPv6/,
      },
      {
        name: "Purchase without currency",
        data: () => [event({ custom_data: { value: 10 } })],
        subcode: 2804019,
        msg: /\['custom_data'\]\['currency'\] is required for Purchase/,
      },
      {
        name: "too little customer information (Meta's baseline rule)",
        data: () => [event({}, { em: undefined, ph: undefined, client_ip_address: undefined, fbp: undefined })],
        subcode: 2804050,
        msg: /customer information/,
      },
      {
        name: "second event of a batch invalid",
        data: () => [event(), event({ event_id: "evt-2" }, { em: "plain@example.com" })],
        subcode: 2804019,
        msg: /\$\['data'\]\[1\]\['user_data'\]\['em'\]/,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const data = JSON.parse(JSON.stringify(c.data())); // drops undefined keys
        const r = await send(sb, data);
        const e = assertMetaError(r, { code: 100, subcode: c.subcode });
        assert.equal(e.message, "Invalid parameter");
        assert.equal(e.is_transient, false);
        if (c.title) assert.equal(e.error_user_title, c.title);
        assert.equal(typeof e.error_user_title, "string");
        assert.match(e.error_user_msg, c.msg);
        assert.equal(sb.received.length, 0);
        assert.equal(sb.attempts.length, 1);
        assert.equal(sb.attempts[0].errorSubcode, c.subcode);
      });
    }

    it("the matching rule can be turned off", async () => {
      const lax = await startMetaSandbox({ matchingRule: false, now: () => NOW_MS });
      try {
        const e = JSON.parse(JSON.stringify(event({}, { em: undefined, ph: undefined, client_ip_address: undefined, fbp: undefined })));
        const r = await post(lax, { data: [e], access_token: "t" });
        assert.equal(r.status, 200, r.text);
      } finally {
        await lax.close();
      }
    });

    it("rejects a missing data parameter and a non-array data", async () => {
      const missing = assertMetaError(await post(sb, { access_token: TOKEN }), { code: 100 });
      assert.equal(missing.message, "(#100) The parameter data is required");
      assertMetaError(await post(sb, { data: { x: 1 }, access_token: TOKEN }), { code: 100 });
      assertMetaError(await post(sb, null, { raw: "{not json", headers: { "content-type": "application/json" } }), { code: 100 });
    });
  });

  describe("encodings", () => {
    it("accepts application/x-www-form-urlencoded with data as a JSON string", async () => {
      const form = new URLSearchParams({ data: JSON.stringify([event()]), access_token: TOKEN, test_event_code: "TEST9" });
      const r = await post(sb, null, { raw: form.toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
      assert.equal(r.status, 200, r.text);
      assert.equal(sb.received[0].encoding, "form");
      assert.equal(sb.received[0].testEventCode, "TEST9");
      assert.equal(sb.received[0].events[0].event_id, "evt-1");
      assert.ok(Array.isArray(sb.received[0].body.data));
    });

    it("accepts multipart form data (the docs' curl -F) and Python's list of JSON strings", async () => {
      const fd = new FormData();
      fd.set("data", JSON.stringify([event()]));
      fd.set("access_token", TOKEN);
      const r = await fetch(`${sb.url}/v25.0/${PIXEL}/events`, { method: "POST", body: fd });
      assert.equal(r.status, 200, await r.text());
      const py = await send(sb, [JSON.stringify(event({ event_id: "py" }))]);
      assert.equal(py.status, 200, py.text);
      assert.equal(sb.received[1].events[0].event_id, "py");
    });
  });

  describe("faults", () => {
    it("apply in order, each for `times` requests, then normal service resumes", async () => {
      sb.injectFaults([
        { times: 2, status: 500 },
        { times: 1, status: 429, retryAfter: 1 },
        { times: 1, error: { code: 2, is_transient: true } },
        { times: 1, delayMs: 300 },
        { times: 1, drop: true },
        { times: 1, error: { code: 190, subcode: 463 } },
      ]);
      const ev = (id) => [event({ event_id: id })];

      for (const id of ["a", "b"]) {
        const e = assertMetaError(await send(sb, ev(id)), { status: 500, code: 1 });
        assert.equal(e.is_transient, true);
      }
      const limited = await send(sb, ev("c"));
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("retry-after"), "1");
      assert.equal(limited.json.error.is_transient, true);

      const transient = assertMetaError(await send(sb, ev("d")), { status: 500, code: 2 });
      assert.equal(transient.is_transient, true);

      const t0 = performance.now();
      const slow = await send(sb, ev("e"));
      assert.ok(performance.now() - t0 >= 290, "the delay holds the response");
      assert.equal(slow.status, 200, "a delay alone then serves normally");

      await assert.rejects(send(sb, ev("f")), TypeError, "a dropped connection makes fetch reject");

      const expired = assertMetaError(await send(sb, ev("g")), { code: 190, subcode: 463 });
      assert.equal(expired.is_transient, false);
      assert.match(expired.message, /Session has expired/);

      assert.equal((await send(sb, ev("h"))).status, 200);
      assert.deepEqual(sb.pendingFaults, []);

      assert.deepEqual(
        sb.attempts.map((a) => [a.eventIds[0], a.status, a.faultApplied]),
        [
          ["a", 500, { status: 500 }],
          ["b", 500, { status: 500 }],
          ["c", 429, { status: 429, retryAfter: 1 }],
          ["d", 500, { error: { code: 2, is_transient: true } }],
          ["e", 200, { delayMs: 300 }],
          ["f", null, { drop: true }],
          ["g", 400, { error: { code: 190, subcode: 463 } }],
          ["h", 200, null],
        ],
      );
      assert.deepEqual(sb.received.map((r) => r.events[0].event_id), ["e", "h"]);
    });

    it("clearFaults empties the queue; bad fault lists throw", () => {
      sb.injectFaults([{ times: 3, status: 503 }]);
      assert.equal(sb.pendingFaults.length, 1);
      sb.clearFaults();
      assert.deepEqual(sb.pendingFaults, []);
      assert.throws(() => sb.injectFaults([{ times: 0, status: 500 }]), /times/);
      assert.throws(() => sb.injectFaults([{ times: 1 }]), /needs one of/);
      assert.throws(() => sb.injectFaults({}), /array/);
    });

    it("a 503 status fault answers code 2; an error fault may set its own status", async () => {
      sb.injectFaults([{ status: 503 }, { error: { code: 17, subcode: 2446079 }, status: 429, retryAfter: 5 }]);
      assertMetaError(await send(sb, [event()]), { status: 503, code: 2 });
      const r = await send(sb, [event()]);
      const e = assertMetaError(r, { status: 429, code: 17, subcode: 2446079 });
      assert.equal(e.is_transient, true);
      assert.equal(r.headers.get("retry-after"), "5");
    });
  });

  describe("control endpoints", () => {
    it("POST /__sandbox/faults, GET /__sandbox/received (redacted), POST /__sandbox/reset", async () => {
      const queued = await fetch(`${sb.url}/__sandbox/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([{ times: 1, status: 500 }]),
      });
      assert.equal(queued.status, 200);
      assert.deepEqual((await queued.json()).pending, [{ status: 500, times: 1 }]);
      const bad = await fetch(`${sb.url}/__sandbox/faults`, { method: "POST", body: "[{\"times\":-1,\"status\":500}]" });
      assert.equal(bad.status, 400);

      assert.equal((await send(sb, [event()])).status, 500);
      assert.equal((await send(sb, [event()], { test_event_code: "T1" })).status, 200);

      const rec = await fetch(`${sb.url}/__sandbox/received`);
      assert.equal(rec.status, 200);
      const text = await rec.text();
      assert.ok(!text.includes(TOKEN), "the access token never leaves through /__sandbox/received");
      const list = JSON.parse(text);
      assert.equal(list.length, 1);
      assert.equal(list[0].body.access_token, "[redacted]");
      assert.equal(list[0].testEventCode, "T1");
      assert.equal(list[0].events[0].event_id, "evt-1");
      assert.equal(sb.received[0].body.access_token, TOKEN, "redaction does not touch the in-process record");

      const attempts = await (await fetch(`${sb.url}/__sandbox/attempts`)).json();
      assert.deepEqual(attempts.map((a) => a.status), [500, 200]);

      const reset = await fetch(`${sb.url}/__sandbox/reset`, { method: "POST" });
      assert.equal(reset.status, 200);
      assert.equal(sb.received.length, 0);
      assert.equal(sb.attempts.length, 0);
      assert.deepEqual(await (await fetch(`${sb.url}/__sandbox/received`)).json(), []);
    });

    it("unknown paths are 404, other methods on the events route 405, all with Graph error JSON", async () => {
      const nf = await fetch(`${sb.url}/v25.0/${PIXEL}/nothing`, { method: "POST", body: "{}" });
      assert.equal(nf.status, 404);
      assert.equal((await nf.json()).error.code, 2500);
      const get = await fetch(`${sb.url}/v25.0/${PIXEL}/events`);
      assert.equal(get.status, 405);
      assert.equal(get.headers.get("allow"), "POST");
      const e = (await get.json()).error;
      assert.equal(e.type, "GraphMethodException");
      assert.match(e.message, /^Unsupported get request/);
    });

    it("refuses bodies over 5 MB with 413", async () => {
      const big = JSON.stringify({ data: [event()], access_token: TOKEN, pad: "x".repeat(5 * 1024 * 1024) });
      const r = await post(sb, null, { raw: big, headers: { "content-type": "application/json" } });
      assert.equal(r.status, 413);
      assert.equal(r.json.error.code, 100);
      assert.equal(sb.received.length, 0);
    });
  });
});

describe("lifecycle and CLI", () => {
  it("close() ends open sockets, including a request held by a delay", async () => {
    const sb = await startMetaSandbox();
    // A held answer that outlives the test: close() ends it or never returns (what is raced
    // here is a hang, not a speed).
    sb.injectFaults([{ delayMs: 600_000 }]);
    const pending = fetch(`${sb.url}/v25.0/1/events`, { method: "POST", body: "{}" });
    for (let i = 0; sb.attempts.length === 0; i++) {
      assert.ok(i < 3000, "the request never reached the sandbox");
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(sb.attempts[0].faultApplied, "the request is held by the delay");
    let hung;
    const outcome = await Promise.race([
      sb.close().then(() => "closed"),
      new Promise((r) => { hung = setTimeout(() => r("still waiting for the held request"), 30_000); }),
    ]);
    clearTimeout(hung);
    assert.equal(outcome, "closed");
    await assert.rejects(pending);
    await sb.close(); // idempotent
    await assert.rejects(fetch(`${sb.url}/healthz`));
  });

  it("the CLI prints the URL and one line per request, never the token", async () => {
    const script = fileURLToPath(new URL("../../sandbox/meta-sandbox.mjs", import.meta.url));
    const child = spawn(process.execPath, [script, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      let out = "";
      let exited = false;
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (d) => { out += d; });
      child.on("exit", () => { exited = true; });
      const lines = async (n) => {
        const deadline = Date.now() + 5000;
        while (out.split("\n").length <= n) {
          if (exited || Date.now() > deadline) throw new Error(`CLI output so far: ${out}`);
          await new Promise((r) => setTimeout(r, 10));
        }
        return out.split("\n");
      };
      const [url] = await lines(1);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const ev = event({ event_time: Math.floor(Date.now() / 1000) });
      const r = await fetch(`${url}/v25.0/${PIXEL}/events?access_token=${TOKEN}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: [ev], access_token: TOKEN }),
      });
      assert.equal(r.status, 400);
      const ok = await fetch(`${url}/v25.0/${PIXEL}/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: [ev], access_token: TOKEN }),
      });
      assert.equal(ok.status, 200);
      const all = await lines(3);
      assert.match(all[1], /POST \/v25\.0\/1234567890\/events -> 400 .*error=190/);
      assert.match(all[2], /POST \/v25\.0\/1234567890\/events -> 200 pixel=1234567890 events=1/);
      assert.ok(!out.includes(TOKEN), "the CLI never prints the token");
    } finally {
      child.kill("SIGTERM");
    }
  });
});
