#!/usr/bin/env node
// The main job on the embedded default, end to end and all local: start the Meta CAPI sandbox on
// loopback, run realistic sGTM events through the tag (build -> send with retries), and print
// what was sent, what was hashed, what "Meta" answered, and how long it took.
import { readFileSync } from "node:fs";
import { createTag } from "../js/node.mjs";
import { startMetaSandbox } from "../sandbox/meta-sandbox.mjs";

const examples = new URL("../examples/", import.meta.url);
const demoEvents = JSON.parse(readFileSync(new URL("demo-events.json", examples), "utf8"));
const config = JSON.parse(readFileSync(new URL("tag.json", examples), "utf8"));

const sandbox = await startMetaSandbox({ tokens: { [config.pixelId]: config.accessToken } });
const tag = createTag({ ...config, graphBaseUrl: sandbox.url, logLevel: "ERROR", retry: { attempts: 3, baseDelayMs: 50 } });
console.log(`Meta CAPI sandbox on ${sandbox.url} (loopback only); pixel ${config.pixelId}, test code ${config.testEventCode}\n`);

const HASHED = ["em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id"];
const totals = { accepted: 0, rejected: 0, failed: 0, invalid: 0, skipped: 0 };
for (const { label, event, request = {}, fault } of demoEvents) {
  if (fault) sandbox.injectFaults(fault);
  const before = sandbox.received.length;
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
  }
  for (const r of out.results) {
    const o = r.outcome;
    const answer = o.status === "accepted" ? `events_received ${o.events_received}, fbtrace_id ${o.fbtrace_id}` : JSON.stringify(o.error ?? o.reason);
    console.log(`         Meta answered (${r.attempts} try/tries): ${answer}`);
  }
  if (out.skipped) console.log(`         not sent: ${out.skipped.message}`);
  if (out.cookies.length) console.log(`         Set-Cookie: ${out.cookies.map((c) => c.name).join(", ")} (${out.cookies[0].maxAge / 86400} days, domain ${out.cookies[0].domain})`);
  console.log(`         timings: build ${out.timings.buildMs} ms, dispatch ${out.timings.dispatchMs} ms, total ${out.timings.totalMs} ms; trace ${out.traceId}\n`);
}
console.log(`Summary: ${Object.entries(totals).map(([k, v]) => `${v} ${k}`).join(", ")}; the sandbox accepted ${sandbox.received.length} request(s), saw ${sandbox.attempts.length} attempt(s).`);
await sandbox.close();
process.exitCode = totals.rejected + totals.failed + totals.invalid > 0 ? 1 : 0;
