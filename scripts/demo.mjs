#!/usr/bin/env node
// The main job on the embedded default, end to end and all local: start the Meta CAPI sandbox,
// the identity service (the Worker + D1 in workerd) and the server container (`serve`, Node,
// with its durable queue) on loopback; two scripted browsers send gtag.js-style hits to
// /g/collect (keeping the cookies the container sets, as a browser does) and a site backend
// posts JSON to /event with its token; midway Meta goes down and comes back. Print what each
// answer was, what waited in the queue, what reached "Meta", what was hashed, what identity
// added, and how long it took.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
const deliveries = [];
const queueDir = mkdtempSync(join(tmpdir(), "omni-demo-"));
const container = await serve({
  config: {
    tags: [{ name: "shop", ...tag, identity: { enabled: true, endpoint: identity.url, useJournal: true } }],
    allowedOrigins: [SITE],
    trustProxy: true, // the demo's X-Forwarded-For plays the site's load balancer
    queue: { baseDelayMs: 300, maxDelayMs: 1000 }, // retries compressed for the demo
  },
  // Secrets come from the environment, as in production.
  env: { META_ACCESS_TOKEN: accessToken, IDENTITY_TOKEN, EVENT_TOKENS: EVENT_TOKEN },
  port: 0,
  // Every accepted event is committed to this SQLite outbox before the answer, and leaves it
  // only when Meta accepted it (or as a dead letter with the reason).
  queue: join(queueDir, "outbox.db"),
  options: {
    log: (r) => console.log(`   log ${r.level} ${r.process}: ${r.message}`),
    onDelivered: (d) => deliveries.push(d),
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
const totals = { answered: 0, accepted: 0, dead: 0, skipped: 0, refused: 0, queued: 0 };
const keyCounts = { plain: 0, identity: 0, events: 0 };
const timings = { response: [], delivery: [] };

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

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Until the outbox is empty (or, with Meta down, until every queued event was tried once). */
async function settled(outage, triesBefore) {
  for (let waited = 0; waited < 30_000; waited += 20) {
    if (container.container.backlog() === 0) return;
    if (outage && sandbox.attempts.length > triesBefore) return;
    await sleep(20);
  }
}

/** What the deliveries since `from` did with each event: what Meta got, hashed, identity's part. */
function report(from) {
  for (const { items, results, events, ms } of deliveries.slice(from)) {
    timings.delivery.push(ms);
    items.forEach((item, i) => {
      const r = results[i];
      const event = JSON.parse(item.event);
      if (r.action === "retry") return console.log(`   ${event.event_name} ${item.eventId}: waits in the queue, next try ${new Date(r.retryAt).toISOString().slice(11, 23)}`);
      if (r.action === "skipped") {
        totals.skipped += 1;
        return console.log(`   SKIPPED ${event.event_name}: ${r.reason}`);
      }
      if (r.action === "dead") {
        totals.dead += 1;
        return console.log(`   DEAD LETTER ${event.event_name} ${item.eventId}: ${r.reason}`);
      }
      totals.accepted += 1;
      const sent = sandbox.received.flatMap((q) => q.events).find((e) => e.event_id === item.eventId);
      if (!sent) return;
      const ud = sent.user_data;
      const baseline = plain.build(event, JSON.parse(item.request));
      const without = matchKeys(baseline.requests[0] && JSON.parse(baseline.requests[0].body).data[0].user_data);
      const withIdentity = matchKeys(ud);
      keyCounts.plain += without.length;
      keyCounts.identity += withIdentity.length;
      keyCounts.events += 1;
      const gained = withIdentity.filter((k) => !without.includes(k));
      const hashed = HASHED.filter((k) => ud[k]).map((k) => `${k}=${String(ud[k][0]).slice(0, 8)}…`);
      const tries = item.attempts + 1;
      console.log(`   -> ${sent.event_name}, event_id ${sent.event_id}, action_source ${sent.action_source}: accepted by Meta${tries > 1 ? ` on try ${tries}` : ""}`);
      console.log(`      hashed: ${hashed.join(" ") || "(none)"}`);
      console.log(`      plain: ip ${ud.client_ip_address ?? "-"}, fbp ${ud.fbp ?? "-"}, fbc ${ud.fbc ? ud.fbc.slice(0, 32) + "…" : "-"}`);
      if (sent.custom_data) console.log(`      custom_data: ${JSON.stringify(sent.custom_data).slice(0, 130)}`);
      console.log(`      matching keys: ${without.length} without identity -> ${withIdentity.length} with${gained.length ? ` (+${gained.join(", +")})` : ""}`);
      const id = events[i]?.identity;
      if (id) {
        const visits = id.previousVisits === undefined ? "a later try: the visit is not counted again" : `${id.previousVisits} earlier visit(s)`;
        const who = id.uuid ? `person ${id.uuid.slice(0, 8)}…, ${visits}` : id.failures.join("; ");
        console.log(`      identity: ${id.status} (${who}); filled ${id.filled.join(", ") || "nothing"}`);
      }
    });
  }
}

let outage = false;
for (const step of visits.steps) {
  if (step.outage) {
    outage = step.outage === "start";
    console.log(`== ${step.label}`);
    if (outage) sandbox.injectFaults([{ times: 1_000_000, status: 503 }]);
    else {
      const from = deliveries.length;
      const waiting = container.container.backlog();
      sandbox.clearFaults();
      const requestsBefore = sandbox.received.length;
      await settled(false, 0);
      console.log(`   the queue had ${waiting} event(s) waiting; delivered in ${sandbox.received.length - requestsBefore} Meta request(s):`);
      report(from);
    }
    console.log("");
    continue;
  }
  if (step.fault) sandbox.injectFaults(step.fault);
  const from = deliveries.length;
  const triesBefore = sandbox.attempts.length;
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
  await settled(outage, triesBefore);
  if (outage) {
    const queued = container.container.backlog();
    totals.queued = Math.max(totals.queued, queued);
    console.log(`   Meta answered 503: ${queued} event(s) wait in the queue (committed to SQLite, retried with backoff)`);
  } else report(from);
  console.log("");
}

const avg = (xs) => (xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1) : "0");
const requests = visits.steps.filter((s) => !s.outage).length;
console.log(`Summary: ${requests} requests (${totals.answered} answered, ${totals.refused} refused); events ${totals.accepted} accepted by Meta, ${totals.dead} dead-lettered, ${totals.skipped} skipped; up to ${totals.queued} waited in the queue during the outage, none lost; the sandbox accepted ${sandbox.received.length} request(s) in ${sandbox.attempts.length} attempt(s).`);
console.log(`Container answered in ${avg(timings.response)} ms on average (after committing the events to the queue; Meta is called after the answer).`);
console.log(`Matching keys per sent event: ${(keyCounts.plain / keyCounts.events).toFixed(1)} without identity, ${(keyCounts.identity / keyCounts.events).toFixed(1)} with (${keyCounts.events} events); a delivery (identity, build, Meta) took ${avg(timings.delivery)} ms on average.`);
const metrics = await (await fetch(`${container.url}/metrics`)).text();
console.log(`/metrics: ${metrics.split("\n").filter((l) => l.startsWith("omni_meta_capi_events_total")).map((l) => l.replace(/^omni_meta_capi_events_total\{tag="shop",outcome="(\w+)"\} /, "$1=")).join(" ")}`);
await container.close();
await Promise.all([sandbox.close(), identity.close()]);
rmSync(queueDir, { recursive: true, force: true });
process.exitCode = totals.dead > 0 || totals.refused !== 1 || totals.queued === 0 || container.container.backlog() !== 0 ? 1 : 0;
