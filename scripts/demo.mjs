#!/usr/bin/env node
// The main job on the embedded default, end to end and all local: start the Meta CAPI sandbox and
// the identity service (the Worker + D1 in workerd) on loopback, run realistic sGTM events through
// the tag (identity -> build -> send with retries), and print what was sent, what was hashed,
// what identity added, what "Meta" answered, and how long it took.
import { readFileSync } from "node:fs";
import { createTag } from "../js/node.mjs";
import { startMetaSandbox } from "../sandbox/meta-sandbox.mjs";
import { startIdentityService } from "../identity/start-local.mjs";

const examples = new URL("../examples/", import.meta.url);
const demoEvents = JSON.parse(readFileSync(new URL("demo-events.json", examples), "utf8"));
const config = JSON.parse(readFileSync(new URL("tag.json", examples), "utf8"));

const IDENTITY_TOKEN = "demo-identity-token";
const [sandbox, identity] = await Promise.all([
  startMetaSandbox({ tokens: { [config.pixelId]: config.accessToken } }),
  startIdentityService({ token: IDENTITY_TOKEN }),
]);
const base = { ...config, graphBaseUrl: sandbox.url, logLevel: "ERROR", retry: { attempts: 3, baseDelayMs: 50 } };
const tag = createTag({ ...base, identity: { enabled: true, endpoint: identity.url, token: IDENTITY_TOKEN, useJournal: true } });
// The same config without identity, only built (never sent): the matching keys it would have had.
const plain = createTag(base);
console.log(`Meta CAPI sandbox on ${sandbox.url}, identity service on ${identity.url} (loopback only)`);
console.log(`pixel ${config.pixelId}, test code ${config.testEventCode}\n`);

const HASHED = ["em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id"];
const MATCH_KEYS = [...HASHED, "client_ip_address", "client_user_agent", "fbc", "fbp"];
const matchKeys = (ud) => MATCH_KEYS.filter((k) => ud?.[k] !== undefined);
const totals = { accepted: 0, rejected: 0, failed: 0, invalid: 0, skipped: 0 };
const keyCounts = { plain: 0, identity: 0, events: 0 };
const identityMs = [];
for (const { label, event, request = {}, fault } of demoEvents) {
  if (fault) sandbox.injectFaults(fault);
  const before = sandbox.received.length;
  const baseline = plain.build(event, request);
  const out = await tag.run(event, request, { log: (r) => console.log(`   log ${r.level} ${r.process}: ${r.message}`) });
  totals[out.status] = (totals[out.status] ?? 0) + 1;
  console.log(`${out.status.toUpperCase().padEnd(8)} ${event.event_name} — ${label}`);
  const sent = sandbox.received.slice(before).at(-1)?.events[0];
  if (sent) {
    const ud = sent.user_data;
    const hashed = HASHED.filter((k) => ud[k]).map((k) => `${k}=${String(ud[k][0]).slice(0, 8)}…`);
    console.log(`         -> ${sent.event_name}, event_id ${sent.event_id}, action_source ${sent.action_source}`);
    console.log(`         hashed: ${hashed.join(" ") || "(none)"}`);
    console.log(`         plain: ip ${ud.client_ip_address ?? "-"}, fbp ${ud.fbp ?? "-"}, fbc ${ud.fbc ? ud.fbc.slice(0, 32) + "…" : "-"}`);
    if (sent.custom_data) console.log(`         custom_data: ${JSON.stringify(sent.custom_data).slice(0, 140)}`);
    const without = matchKeys(baseline.requests[0] && JSON.parse(baseline.requests[0].body).data[0].user_data);
    const withIdentity = matchKeys(ud);
    keyCounts.plain += without.length;
    keyCounts.identity += withIdentity.length;
    keyCounts.events += 1;
    const gained = withIdentity.filter((k) => !without.includes(k));
    console.log(`         matching keys: ${without.length} without identity -> ${withIdentity.length} with${gained.length ? ` (+${gained.join(", +")})` : ""}`);
  }
  if (out.identity) {
    const id = out.identity;
    const who = id.uuid ? `person ${id.uuid.slice(0, 8)}…, ${id.previousVisits ?? 0} earlier visit(s)` : id.failures.join("; ");
    console.log(`         identity: ${id.status} (${who}); filled ${id.filled.join(", ") || "nothing"}`);
  }
  if (out.timings.identityMs !== undefined) identityMs.push(out.timings.identityMs);
  for (const r of out.results) {
    const o = r.outcome;
    const answer = o.status === "accepted" ? `events_received ${o.events_received}, fbtrace_id ${o.fbtrace_id}` : JSON.stringify(o.error ?? o.reason);
    console.log(`         Meta answered (${r.attempts} try/tries): ${answer}`);
  }
  if (out.skipped) console.log(`         not sent: ${out.skipped.message}`);
  if (out.cookies.length) console.log(`         Set-Cookie: ${out.cookies.map((c) => c.name).join(", ")} (${out.cookies[0].maxAge / 86400} days, domain ${out.cookies[0].domain})`);
  const idTime = out.timings.identityMs !== undefined ? `identity ${out.timings.identityMs} ms, ` : "";
  console.log(`         timings: ${idTime}build ${out.timings.buildMs} ms, dispatch ${out.timings.dispatchMs} ms, total ${out.timings.totalMs} ms; trace ${out.traceId}\n`);
}
const avg = (n, d) => (d ? (n / d).toFixed(1) : "0");
const median = [...identityMs].sort((a, b) => a - b)[Math.floor(identityMs.length / 2)] ?? 0;
console.log(`Summary: ${Object.entries(totals).map(([k, v]) => `${v} ${k}`).join(", ")}; the sandbox accepted ${sandbox.received.length} request(s), saw ${sandbox.attempts.length} attempt(s).`);
console.log(`Matching keys per sent event: ${avg(keyCounts.plain, keyCounts.events)} without identity, ${avg(keyCounts.identity, keyCounts.events)} with (${keyCounts.events} events).`);
console.log(`Identity added ${avg(identityMs.reduce((a, b) => a + b, 0), identityMs.length)} ms per event on average (median ${median} ms; local workerd, resolve + journal in parallel).`);
console.log(`Counters: ${JSON.stringify(tag.metrics().identityByStatus)} by identity status, ${tag.metrics().identityEnriched} event(s) enriched.`);
await Promise.all([sandbox.close(), identity.close()]);
process.exitCode = totals.rejected + totals.failed + totals.invalid > 0 ? 1 : 0;
