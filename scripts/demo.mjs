#!/usr/bin/env node
// The main job on the embedded default, end to end and all local: start the Meta CAPI sandbox,
// the identity service (the Worker + D1 in workerd) and the server container (`serve`, Node) on
// loopback; two scripted browsers send gtag.js-style hits to /g/collect (keeping the cookies the
// container sets, as a browser does) and a site backend posts JSON to /event; print what each
// answer was, what reached "Meta", what was hashed, what identity added, and how long it took.
import { readFileSync } from "node:fs";
import { createTag } from "../js/node.mjs";
import { serve } from "../js/serve.mjs";
import { startMetaSandbox } from "../sandbox/meta-sandbox.mjs";
import { startIdentityService } from "../identity/start-local.mjs";

const examples = new URL("../examples/", import.meta.url);
const visits = JSON.parse(readFileSync(new URL("demo-visits.json", examples), "utf8"));
const tagConfig = JSON.parse(readFileSync(new URL("tag.json", examples), "utf8"));
const { accessToken, ...tagWithoutToken } = tagConfig;
const SITE = "https://www.shop.example.com";
const IDENTITY_TOKEN = "demo-identity-token";
const EVENT_TOKEN = "demo-backend-event-token-0123456789";

const [sandbox, identity] = await Promise.all([
  startMetaSandbox({ tokens: { [tagConfig.pixelId]: accessToken } }),
  // The tag's token gets only the scopes a tag needs.
  startIdentityService({ tokens: { [IDENTITY_TOKEN]: ["resolve", "journal:read"] } }),
]);
const tag = { ...tagWithoutToken, graphBaseUrl: sandbox.url, logLevel: "ERROR", retry: { attempts: 3, baseDelayMs: 50 } };
const outcomes = [];
const container = await serve({
  config: {
    tags: [{ name: "shop", ...tag, identity: { enabled: true, endpoint: identity.url, useJournal: true } }],
    allowedOrigins: [SITE],
    trustProxy: true, // the demo's X-Forwarded-For plays the site's load balancer
  },
  // Secrets come from the environment, as in production.
  env: { META_ACCESS_TOKEN: accessToken, IDENTITY_TOKEN, EVENT_TOKENS: EVENT_TOKEN },
  port: 0,
  options: {
    log: (r) => console.log(`   log ${r.level} ${r.process}: ${r.message}`),
    onResult: (result, meta) => outcomes.push({ result, ...meta }),
  },
});
// The same tag without identity, only built (never sent): the matching keys it would have had.
const plain = createTag({ ...tag, accessToken });
console.log(`Meta CAPI sandbox ${sandbox.url}, identity service ${identity.url}, container ${container.url} (loopback only)`);
console.log(`pixel ${tagConfig.pixelId}, test code ${tagConfig.testEventCode}\n`);

const HASHED = ["em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id"];
const MATCH_KEYS = [...HASHED, "client_ip_address", "client_user_agent", "fbc", "fbp"];
const matchKeys = (ud) => MATCH_KEYS.filter((k) => ud?.[k] !== undefined);
const jars = Object.fromEntries(Object.keys(visits.browsers).map((b) => [b, new Map()]));
const totals = { answered: 0, accepted: 0, rejected: 0, failed: 0, skipped: 0, refused: 0 };
const keyCounts = { plain: 0, identity: 0, events: 0 };
const timings = { response: [], identity: [] };

/** One step: a gtag hit from a browser, or a backend POST to /event. */
async function send(step) {
  const b = visits.browsers[step.browser];
  const jar = jars[step.browser];
  if (step.clearCookies) jar.clear();
  const headers = { "user-agent": b.userAgent, "x-forwarded-for": b.ip };
  // The browser's cookies: sent by the browser with its hits, forwarded by the backend with its events.
  if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  if (step.event) {
    // The site's backend authenticates with its event token.
    return fetch(`${container.url}/event`, { method: "POST", headers: { ...headers, authorization: `Bearer ${EVENT_TOKEN}` }, body: JSON.stringify(step.event) });
  }
  const shared = `v=2&tid=G-DEMO123&cid=${b.cid}&ul=en-us&sr=390x844&sid=1795870000&sct=2&gcs=${step.consent ?? "G111"}`;
  headers.origin = SITE;
  const res = await fetch(`${container.url}/g/collect?${shared}&${step.hit}`, { method: "POST", headers, body: (step.body ?? []).join("\n") });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(";");
    const at = pair.indexOf("=");
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return res;
}

for (const step of visits.steps) {
  if (step.fault) sandbox.injectFaults(step.fault);
  const before = sandbox.received.length;
  outcomes.length = 0;
  const t0 = performance.now();
  const res = await send(step);
  timings.response.push(performance.now() - t0);
  const answer = res.status >= 400 ? (await res.json()).error.message : res.status === 202 ? JSON.stringify(await res.json()) : "";
  const cookies = res.headers.getSetCookie().map((c) => c.split("=")[0]);
  console.log(`${step.event ? "POST /event" : "POST /g/collect"} -> ${res.status} ${answer} — ${step.label}`);
  if (cookies.length) console.log(`         Set-Cookie: ${cookies.join(", ")}`);
  if (res.status >= 400) {
    totals.refused += 1;
    console.log("");
    continue;
  }
  totals.answered += 1;
  await container.container.idle();
  const sentEvents = sandbox.received.slice(before).flatMap((r) => r.events);
  let sentIndex = 0;
  for (const { result, events, request } of outcomes) {
    const perEvent = result.events ?? [{ index: 0, status: result.status === "skipped" ? "skipped" : "ready", identity: result.identity }];
    perEvent.forEach((e, i) => {
      const event = events[e.index ?? i];
      if (e.status === "skipped" || result.status === "skipped") {
        totals.skipped += 1;
        console.log(`   SKIPPED ${event.event_name}: ${(result.skipped ?? e.skipped)?.message ?? "consent"}`);
        return;
      }
      const sent = sentEvents[sentIndex++];
      if (!sent) return;
      const ud = sent.user_data;
      const baseline = plain.build(event, request);
      const without = matchKeys(baseline.requests[0] && JSON.parse(baseline.requests[0].body).data[0].user_data);
      const withIdentity = matchKeys(ud);
      keyCounts.plain += without.length;
      keyCounts.identity += withIdentity.length;
      keyCounts.events += 1;
      const gained = withIdentity.filter((k) => !without.includes(k));
      const hashed = HASHED.filter((k) => ud[k]).map((k) => `${k}=${String(ud[k][0]).slice(0, 8)}…`);
      console.log(`   -> ${sent.event_name}, event_id ${sent.event_id}, action_source ${sent.action_source}`);
      console.log(`      hashed: ${hashed.join(" ") || "(none)"}`);
      console.log(`      plain: ip ${ud.client_ip_address ?? "-"}, fbp ${ud.fbp ?? "-"}, fbc ${ud.fbc ? ud.fbc.slice(0, 32) + "…" : "-"}`);
      if (sent.custom_data) console.log(`      custom_data: ${JSON.stringify(sent.custom_data).slice(0, 130)}`);
      console.log(`      matching keys: ${without.length} without identity -> ${withIdentity.length} with${gained.length ? ` (+${gained.join(", +")})` : ""}`);
      const id = e.identity;
      if (id) {
        const who = id.uuid ? `person ${id.uuid.slice(0, 8)}…, ${id.previousVisits ?? 0} earlier visit(s)` : id.failures.join("; ");
        console.log(`      identity: ${id.status} (${who}); filled ${id.filled.join(", ") || "nothing"}`);
      }
    });
    for (const r of result.results) {
      totals[r.status] = (totals[r.status] ?? 0) + (r.eventIndexes?.length ?? 1);
      const o = r.outcome;
      const said = o.status === "accepted" ? `events_received ${o.events_received}, fbtrace_id ${o.fbtrace_id}` : JSON.stringify(o.error ?? o.reason);
      console.log(`      Meta answered (${r.attempts} try/tries): ${said}`);
    }
    const t = result.timings;
    if (t.identityMs !== undefined) timings.identity.push(t.identityMs);
    console.log(`      background run: ${t.identityMs !== undefined ? `identity ${t.identityMs} ms, ` : ""}build ${t.buildMs} ms, dispatch ${t.dispatchMs} ms, total ${t.totalMs} ms; trace ${result.traceId}`);
  }
  console.log("");
}

const avg = (xs) => (xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1) : "0");
console.log(`Summary: ${visits.steps.length} requests (${totals.answered} answered, ${totals.refused} refused); events ${totals.accepted} accepted, ${totals.rejected} rejected, ${totals.failed} failed, ${totals.skipped} skipped; the sandbox accepted ${sandbox.received.length} request(s) in ${sandbox.attempts.length} attempt(s).`);
console.log(`Container answered in ${avg(timings.response)} ms on average (the Meta call runs after the answer).`);
console.log(`Matching keys per sent event: ${(keyCounts.plain / keyCounts.events).toFixed(1)} without identity, ${(keyCounts.identity / keyCounts.events).toFixed(1)} with (${keyCounts.events} events); identity added ${avg(timings.identity)} ms per run.`);
const metrics = await (await fetch(`${container.url}/metrics`)).text();
console.log(`/metrics: ${metrics.split("\n").filter((l) => l.startsWith("omni_meta_capi_events_total")).map((l) => l.replace(/^omni_meta_capi_events_total\{tag="shop",outcome="(\w+)"\} /, "$1=")).join(" ")}`);
await container.close();
await Promise.all([sandbox.close(), identity.close()]);
process.exitCode = totals.rejected + totals.failed > 0 || totals.refused !== 1 ? 1 : 0;
