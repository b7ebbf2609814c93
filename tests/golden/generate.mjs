#!/usr/bin/env node
// Writes tests/golden/inputs.jsonl: the build inputs of the golden corpus, deterministic. Each
// line: {name, kind: "event" | "batch", config, event, request, nowMs, entropy} where config,
// event and request are JSON *text* (numbers stay as written). Sources: the examples, the fuzz
// seeds, the JSON literals of the Rust tests (configs x events), and a generated variety.
// `GOLDEN_RECORD=1 cargo test --test golden` then records what today's core builds from them.
import { readFileSync, readdirSync, writeFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const read = (p) => readFileSync(join(root, p), "utf8");
const cases = [];
let seq = 0;
const NOW = 1764331200000;
const entropyOf = (i) => Array.from({ length: 32 }, (_, k) => ((i * 131 + k * 17 + 7) & 255).toString(16).padStart(2, "0")).join("");
function add(name, kind, config, event, request) {
  const i = seq++;
  const text = (v) => (typeof v === "string" ? v : JSON.stringify(v));
  cases.push({ name, kind, config: text(config), event: text(event), request: text(request ?? {}), nowMs: NOW + i * 1000, entropy: entropyOf(i) });
}

// 1. The examples.
const tag = read("examples/tag.json");
const request = read("examples/request.json");
add("examples/purchase-event", "event", tag, read("examples/purchase-event.json"), request);
for (const [i, d] of JSON.parse(read("examples/demo-events.json")).entries()) add(`examples/demo-events#${i}`, "event", tag, d.event, d.request);
const demo = JSON.parse(read("examples/demo-events.json"));
add("examples/demo-events batch", "batch", tag, demo.map((d) => d.event), request);
add("examples/demo-events per-event contexts", "batch", tag, demo.map((d) => d.event), demo.map((d) => d.request ?? {}));

// 2. The fuzz seeds, raw text, as events under a few configs (and a batch of all of them).
const seedDir = join(root, "fuzz/seeds");
const seeds = readdirSync(seedDir).sort().map((f) => [f, readFileSync(join(seedDir, f), "utf8")]);
const baseConfigs = [
  tag,
  { pixelId: "123", accessToken: "tok" },
  { pixelId: [{ pixelId: "111", accessToken: "t1" }, { pixelId: "222", accessToken: "t2" }], sendPii: false, ipAnonymization: "truncate" },
];
for (const [f, text] of seeds) for (const [c, config] of baseConfigs.entries()) add(`fuzz/seeds/${f} config#${c}`, "event", config, text, request);
add("fuzz/seeds batch", "batch", baseConfigs[1], `[${seeds.map(([, t]) => t).join(",")}]`, request);

// 3. The JSON literals of the Rust tests: configs x events x request contexts.
function rustFiles(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? rustFiles(p) : p.endsWith(".rs") ? [p] : [];
  }).sort();
}
const literals = [];
for (const file of rustFiles(join(root, "src"))) {
  for (const m of readFileSync(file, "utf8").matchAll(/r#"(\{[\s\S]*?\})"#/g)) {
    try {
      const v = JSON.parse(m[1]);
      if (v && typeof v === "object" && !Array.isArray(v)) literals.push({ v, text: m[1] });
    } catch {
      // a template or not JSON: skipped
    }
  }
}
const isConfig = (v) => "pixelId" in v || "accessToken" in v;
const isEvent = (v) => !isConfig(v) && Object.keys(v).some((k) => /^(event_name|client_id|user_data|page_location|items|value|x-fb-|x-ga-|ip_override|user_agent|event_id|consent_state)/.test(k));
const isRequest = (v) => !isConfig(v) && !isEvent(v) && Object.keys(v).some((k) => ["headers", "cookies", "remoteAddress", "url"].includes(k));
const uniq = (xs) => [...new Map(xs.map((x) => [x.text, x])).values()];
const testConfigs = uniq(literals.filter((l) => isConfig(l.v)));
const testEvents = uniq(literals.filter((l) => isEvent(l.v)));
const testRequests = uniq(literals.filter((l) => isRequest(l.v)));
for (const [e, ev] of testEvents.entries()) {
  const configs = [tag, ...[0, 1, 2].map((k) => testConfigs[(e * 3 + k) % testConfigs.length].text)];
  for (const [c, config] of configs.entries()) {
    const req = c === 0 ? request : testRequests.length ? testRequests[(e + c) % testRequests.length].text : "{}";
    add(`tests event#${e} config#${c}`, "event", config, ev.text, req);
  }
}
for (const [c, config] of testConfigs.entries()) add(`tests config#${c} batch`, "batch", config.text, `[${testEvents.slice(c % 5, (c % 5) + 8).map((e) => e.text).join(",")}]`, request);

// 4. A generated variety (a fixed-seed PRNG): GA4 events with PII in many spellings, items with
// numbers in many spellings, x-fb-* overrides, consent, cookies, addresses, configs.
let state = 0x2545f491;
const rnd = () => ((state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const maybe = (p = 0.5) => rnd() < p;
const NAMES = ["page_view", "purchase", "add_to_cart", "view_item", "begin_checkout", "sign_up", "generate_lead", "search", "add_payment_info", "view_item_list", "custom_thing", "Purchase", "Lead", "", 42];
const EMAILS = [" Jane.Doe@Example.com ", "JOHN@EXAMPLE.ORG", "a@b.co", "bad-email", "ü@exämple.de", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ["x@y.z", "second@s.com"]];
const PHONES = ["+1 (650) 555-1212", "0049 30 1234567", "555", "+44 20 7946 0958", 16505551212, "(+33) 1-23-45-67-89"];
const NUMS = [1, 2, 0, 1.5, 12.5, 99.95, 100, 1e2, -3, "2", "12.50", "1,5", "abc", null, 1234567.891, 0.1];
const COUNTRIES = ["US", "us", "United States", "DE", "Germany", "GB", "fr", ""];
const REGIONS = ["California", "CA", "ca", "New York", "Bayern", "Île-de-France", ""];
const CITIES = ["San Francisco", "New York", "München", "São Paulo", "  Paris ", "O'Fallon"];
const GENDERS = ["female", "Male", "f", "M", "x", "Woman"];
const DOBS = ["1990-02-14", "19900412", "02/14/1990", "1990", "2030-01-01", "14.02.1990"];
const URLS = ["https://www.shop.example.com/thanks?fbclid=IwAR-Click_1", "https://s.com/", "https://shop.example.com/p?utm_source=fb&fbclid=AbC_dEf-123&x=1", "not a url", "https://ü.example/ä?q=1#frag"];
const IPS = ["81.2.69.42", "10.0.0.1, 81.2.69.9", "2a02:cf40:85a3::8a2e:370:7334", "192.168.1.1", "::1", "garbage", "8.8.8.8"];
const CURRENCIES = ["USD", "usd", "EUR", "XXX", "dollars", ""];
function item() {
  const it = {};
  if (maybe(0.9)) it.item_id = pick(["SKU-1", "SKU-2", 123, "a\"b", "é"]) + (maybe() ? "" : String(Math.floor(rnd() * 100)));
  if (maybe(0.6)) it.item_name = pick(["Shoe", "Sock", "Trail \"Runner\"", "Ümlaut", "emoji 🚀"]);
  if (maybe(0.4)) it.item_brand = pick(["Omni", "Acme"]);
  if (maybe(0.4)) it.item_category = pick(["Shoes", "Apparel"]);
  if (maybe(0.7)) it.quantity = pick(NUMS);
  if (maybe(0.8)) it.price = pick(NUMS);
  if (maybe(0.1)) it.item_variant = "red";
  return it;
}
function userData() {
  const ud = {};
  if (maybe(0.7)) ud.email_address = pick(EMAILS);
  if (maybe(0.6)) ud.phone_number = pick(PHONES);
  if (maybe(0.6)) {
    const a = {};
    if (maybe(0.8)) a.first_name = pick(["Jane", " JOHN ", "Zoë", "José María"]);
    if (maybe(0.8)) a.last_name = pick(["Doe", "O'Neil", "Müller-Lüdenscheidt"]);
    if (maybe(0.7)) a.city = pick(CITIES);
    if (maybe(0.7)) a.region = pick(REGIONS);
    if (maybe(0.7)) a.postal_code = pick(["94105", "94105-1234", "SW1A 1AA", "10115", 94103]);
    if (maybe(0.8)) a.country = pick(COUNTRIES);
    ud.address = maybe(0.85) ? a : [a, { first_name: "Second" }];
  }
  return ud;
}
function event() {
  const ev = {};
  if (maybe(0.97)) ev.event_name = pick(NAMES);
  if (maybe(0.8)) ev.client_id = `${Math.floor(rnd() * 1e9)}.${Math.floor(rnd() * 1e9)}`;
  if (maybe(0.4)) ev.user_id = pick(["U-42", "CUST-1042", 77]);
  if (maybe(0.7)) ev.ip_override = pick(IPS);
  if (maybe(0.93)) ev.user_agent = pick(["Mozilla/5.0 Test", "curl/8", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)"]);
  if (maybe(0.95)) ev.page_location = maybe(0.8) ? URLS[0] : pick(URLS);
  if (maybe(0.3)) ev.page_referrer = pick(URLS);
  if (maybe(0.7)) ev.value = maybe(0.6) ? 12.5 : pick(NUMS);
  if (maybe(0.7)) ev.currency = maybe(0.7) ? "USD" : pick(CURRENCIES);
  if (maybe(0.3)) ev.transaction_id = `T-${Math.floor(rnd() * 1e4)}`;
  if (maybe(0.4)) ev.event_id = `evt-${Math.floor(rnd() * 1e6)}`;
  if (maybe(0.1)) ev.event_time = pick([1764331100, 1764331100123, "1764331100", "yesterday", -5, 1.5e9]);
  if (maybe(0.5)) ev.items = Array.from({ length: Math.floor(rnd() * 7) }, item);
  if (maybe(0.7)) ev.user_data = userData();
  if (maybe(0.5)) ev.consent_state = { ad_storage: pick(["granted", "denied"]), ad_user_data: pick(["granted", "denied"]) };
  if (maybe(0.2)) ev["x-ga-gcs"] = pick(["G111", "G100", "G101"]);
  if (maybe(0.3)) ev["x-fb-ud-ge"] = pick(GENDERS);
  if (maybe(0.3)) ev["x-fb-ud-db"] = pick(DOBS);
  if (maybe(0.15)) ev["x-fb-ud-em"] = pick(EMAILS);
  if (maybe(0.1)) ev["x-fb-ud-external_id"] = pick(["ext-1", ["a", "b"]]);
  if (maybe(0.1)) ev["x-fb-ck-fbp"] = "fb.1.1764331100000.42";
  if (maybe(0.1)) ev["x-fb-ck-fbc"] = "fb.1.1764331100000.AbC";
  if (maybe(0.15)) ev["x-fb-cd-content_type"] = pick(["product", "product_group"]);
  if (maybe(0.1)) ev["x-fb-cd-custom_prop"] = pick([{ nested: [1, 2.50, "x"] }, "text", 3]);
  if (maybe(0.1)) ev["x-fb-sed-opt_out"] = pick(["true", "false", true]);
  if (maybe(0.1)) ev["x-fb-sed-event_source_url"] = pick(URLS);
  if (maybe(0.1)) ev["x-fb-sed-action_source"] = pick(["app", "Email", "website"]);
  if (maybe(0.1)) ev["x-fb-sed-customer_segmentation"] = { priority_segment: "high" };
  if (maybe(0.1)) ev.test_event_code = "TEST999";
  if (maybe(0.1)) ev.search_term = "shoes";
  if (maybe(0.05)) ev.lead_type = "form";
  return ev;
}
function config() {
  const c = { pixelId: maybe(0.85) ? pick(["123", "1234567890", 987654321]) : [{ pixelId: "111", accessToken: "t1" }, { pixelId: "222" }] };
  c.accessToken = "tok-" + Math.floor(rnd() * 100);
  if (maybe(0.2)) c.testEventCode = "TEST123";
  if (maybe(0.15)) c.actionSource = pick(["website", "app", "physical_store"]);
  if (maybe(0.1)) c.eventName = pick(["Purchase", "Lead", "MyCustom"]);
  if (maybe(0.05)) c.customEventName = "MyCustom";
  if (maybe(0.15)) c.productSchema = maybe(0.8) ? { type: "omni" } : { type: pick(["ga4", "none"]) };
  if (maybe(0.15)) c.ldu = maybe(0.7) ? { enabled: maybe(), country: 1, state: 1000 } : { enabled: maybe() };
  if (maybe(0.1)) c.dataProcessingOptions = ["LDU"];
  if (maybe(0.25)) c.consent = { requireAdStorage: maybe(), whenMissing: pick(["send", "block"]) };
  if (maybe(0.2)) c.sendPii = maybe();
  if (maybe(0.3)) c.ipAnonymization = pick(["none", "truncate", "remove"]);
  if (maybe(0.1)) c.partnerAgent = "omni-test";
  if (maybe(0.1)) c.appSecret = "s3cr3t";
  if (maybe(0.2)) c.generateFbp = maybe();
  if (maybe(0.1)) c.graphApiVersion = "v23.0";
  return c;
}
function context() {
  const r = {};
  if (maybe(0.5)) r.headers = { "user-agent": "UA/1", ...(maybe() ? { "x-forwarded-for": pick(IPS) } : {}), ...(maybe(0.3) ? { cookie: "_fbp=fb.1.1.2; _fbc=fb.1.1.X" } : {}) };
  if (maybe(0.4)) r.cookies = maybe() ? { _fbp: "fb.1.1717000000000.1234567890" } : "_fbc=fb.1.1764331100000.IwAR3; other=1";
  if (maybe(0.3)) r.remoteAddress = pick(IPS);
  if (maybe(0.3)) r.url = "https://sgtm.example.com/g/collect?v=2&en=x";
  return r;
}
for (let i = 0; i < 900; i++) add(`generated#${i}`, "event", config(), event(), context());
for (let i = 0; i < 60; i++) {
  const n = 1 + Math.floor(rnd() * 12);
  const evs = Array.from({ length: n }, event);
  add(`generated batch#${i}`, "batch", config(), evs, maybe() ? context() : evs.map(context));
}
// A large purchase and a large batch (the 1,000-events-per-request split).
const big = { ...JSON.parse(read("examples/purchase-event.json")), items: Array.from({ length: 200 }, (_, k) => ({ item_id: `SKU-${k}`, price: k + 0.25, quantity: (k % 3) + 1 })) };
add("generated big purchase", "event", tag, big, request);
add("generated 2,100-event batch", "batch", tag, Array.from({ length: 2100 }, (_, k) => ({ event_name: "page_view", event_id: `e${k}`, page_location: "https://s.com/" })), request);

writeFileSync(join(root, "tests/golden/inputs.jsonl"), cases.map((c) => JSON.stringify(c)).join("\n") + "\n");
console.error(`golden: ${cases.length} cases (${testConfigs.length} test configs, ${testEvents.length} test events, ${testRequests.length} test contexts)`);
