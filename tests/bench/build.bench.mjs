// Benchmark: events per second building the full Meta request body of a Purchase (11 PII fields,
// 5 items) in Node: our tag (`createTag(config).build(event, request, { now })`, one tag, one call
// per event) against Meta's Node business SDK (facebook-nodejs-business-sdk: UserData, CustomData,
// Content, ServerEvent, then `serverEvent.normalize()` + JSON.stringify, what EventRequest.execute
// puts in its params) on the same sGTM event in the same run. Both sides end with the body text.
// Nothing is sent: EventRequest is not constructed (its constructor calls FacebookAdsApi.init,
// which arms a crash reporter that posts to the Graph API on an uncaught SDK exception).
// Then a minimal page_view the same way, also in µs per event. Prints the ratios; asserts nothing (timings are for reading, not for gating).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { runInterleaved } from "./harness.mjs";
import { createTag } from "../../js/node.mjs";

const require = createRequire(import.meta.url);
const bizSdk = require("facebook-nodejs-business-sdk");
const { ServerEvent, UserData, CustomData, Content } = bizSdk;
const SDK_VERSION = require("facebook-nodejs-business-sdk/package.json").version;

const N = Number(process.env.BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const HASHED = ["em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id"];
const HEX64 = /^[0-9a-f]{64}$/;

const example = (name) => JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), "utf8"));
const config = example("tag.json");
const request = example("request.json");
const now = Date.parse("2026-06-01T12:00:00Z");

// sGTM event data (GA4 keys), every value acceptable to both sides (the SDK throws on some values
// we drop or pass, e.g. a non-ISO country or a phone shorter than 7 digits).
const event = {
  event_name: "purchase",
  client_id: "1718000000.1718000001",
  user_id: "CUST-1042",
  ip_override: "81.2.69.42",
  user_agent:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  page_location:
    "https://www.shop.example.com/checkout/thank-you?fbclid=IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMgk",
  value: 264.8,
  currency: "usd",
  transaction_id: "ORD-2026-1042",
  event_id: "ORD-2026-1042.purchase",
  consent_state: { ad_storage: "granted", ad_user_data: "granted" },
  "x-fb-ud-ge": "female",
  "x-fb-ud-db": "19900412",
  items: [
    { item_id: "SKU-RUN-42", item_name: "Trail Runner", item_brand: "Omni", item_category: "Shoes", quantity: 1, price: 99.95 },
    { item_id: "SKU-SOCK-3", item_name: "Wool Socks", item_brand: "Omni", item_category: "Socks", quantity: 2, price: 14.95 },
    { item_id: "SKU-CAP-7", item_name: "Running Cap", item_brand: "Omni", item_category: "Accessories", quantity: 1, price: 24.5 },
    { item_id: "SKU-BTL-1", item_name: "Water Bottle", item_brand: "Omni", item_category: "Accessories", quantity: 1, price: 19.95 },
    { item_id: "SKU-JKT-9", item_name: "Wind Jacket", item_brand: "Omni", item_category: "Apparel", quantity: 1, price: 90.5 },
  ],
  user_data: {
    email_address: " Jane.Doe@Example.com ",
    phone_number: "+1 (415) 555-0134",
    address: {
      first_name: "Jane", last_name: "Doe", city: "San Francisco",
      region: "California", postal_code: "94105", country: "US",
    },
  },
};
// Same event, a different email each (built outside the timing): no caching can help.
const variedEvents = Array.from({ length: N }, (_, i) => ({
  ...event,
  user_data: { ...event.user_data, email_address: ` Jane.Doe+${i}@Example.com ` },
}));

const tag = createTag(config); // once: the per-event cost is what is measured

// Meta's SDK: the same sGTM event mapped onto its objects (what a Node sGTM-style adapter does),
// normalized (hashing happens here) and serialized as the request body.
const EVENT_NAMES = { purchase: "Purchase" };
function metaBody(ev, req, nowMs) {
  const ud = ev.user_data;
  const addr = ud.address;
  const fbclid = new URL(ev.page_location).searchParams.get("fbclid");
  const userData = new UserData()
    .setEmail(ud.email_address)
    .setPhone(ud.phone_number)
    .setFirstName(addr.first_name)
    .setLastName(addr.last_name)
    .setGender(ev["x-fb-ud-ge"])
    .setDateOfBirth(ev["x-fb-ud-db"])
    .setCity(addr.city)
    .setState(addr.region)
    .setZip(addr.postal_code)
    .setCountry(addr.country)
    .setExternalId(ev.user_id)
    .setClientIpAddress(ev.ip_override)
    .setClientUserAgent(ev.user_agent)
    .setFbc(fbclid ? `fb.1.${nowMs}.${fbclid}` : null)
    .setFbp(req.cookies?._fbp ?? null);
  let numItems = 0;
  const contents = ev.items.map((it) => {
    numItems += it.quantity;
    return new Content()
      .setId(it.item_id)
      .setQuantity(it.quantity)
      .setItemPrice(it.price)
      .setTitle(it.item_name)
      .setBrand(it.item_brand)
      .setCategory(it.item_category);
  });
  const customData = new CustomData()
    .setValue(ev.value)
    .setCurrency(ev.currency)
    .setOrderId(ev.transaction_id)
    .setContents(contents)
    .setContentIds(ev.items.map((it) => it.item_id))
    .setNumItems(numItems)
    .setContentType("product");
  const serverEvent = new ServerEvent()
    .setEventName(EVENT_NAMES[ev.event_name] ?? ev.event_name)
    .setEventTime(Math.floor(nowMs / 1000))
    .setEventId(ev.event_id)
    .setEventSourceUrl(ev.page_location)
    .setActionSource("website")
    .setUserData(userData)
    .setCustomData(customData);
  return JSON.stringify({
    data: [serverEvent.normalize()],
    test_event_code: config.testEventCode,
    access_token: config.accessToken,
  });
}

function fail(message) {
  console.error(`build.bench: ${message}`);
  process.exit(1);
}

// Checks, once, outside the timing.
const first = tag.build(event, request, { now });
if (first.status !== "ready") fail(`our tag did not get ready: ${JSON.stringify(first.report ?? first)}`);
const ourBody = first.requests?.[0]?.body;
if (typeof ourBody !== "string") fail("our tag built no request body");
const ourUd = JSON.parse(ourBody).data?.[0]?.user_data ?? {};
const notHashed = HASHED.filter((k) => !(Array.isArray(ourUd[k]) && ourUd[k].length > 0 && ourUd[k].every((h) => HEX64.test(h))));
if (notHashed.length) fail(`our body lacks hashed keys: ${notHashed.join(", ")}\n${ourBody}`);
let sdkBody;
try {
  sdkBody = metaBody(event, request, now);
} catch (e) {
  fail(`Meta's SDK threw on the event: ${e && e.message}`);
}

const contenders = {
  [`facebook-nodejs-business-sdk ${SDK_VERSION} (Meta)`]: () => {
    for (let i = 0; i < N; i++) metaBody(event, request, now);
  },
  "omni-meta-capi, tag.build (same event)": () => {
    for (let i = 0; i < N; i++) tag.build(event, request, { now });
  },
  "omni-meta-capi, tag.build (a new email per event)": () => {
    for (let i = 0; i < N; i++) tag.build(variedEvents[i], request, { now });
  },
};

runInterleaved("Purchase events (11 PII fields, 5 items)", contenders, { items: N, rounds: ROUNDS, unit: "events", peerLabel: "Meta's SDK", width: 56 });

// A minimal page_view (no PII: IP, user agent, page, fbp): the fixed cost of one build, in µs,
// against the SDK's same event.
const pageView = { event_name: "page_view", client_id: "1.2", ip_override: "81.2.69.42", user_agent: event.user_agent, page_location: "https://www.shop.example.com/" };
function metaPageView(ev, req, nowMs) {
  const serverEvent = new ServerEvent()
    .setEventName("PageView")
    .setEventTime(Math.floor(nowMs / 1000))
    .setEventId(`pv-${nowMs}`)
    .setEventSourceUrl(ev.page_location)
    .setActionSource("website")
    .setUserData(new UserData().setClientIpAddress(ev.ip_override).setClientUserAgent(ev.user_agent).setFbp(req.cookies?._fbp ?? null));
  return JSON.stringify({ data: [serverEvent.normalize()], test_event_code: config.testEventCode, access_token: config.accessToken });
}
if (tag.build(pageView, request, { now }).status !== "ready") fail("our tag did not build the page_view");
const pv = runInterleaved("page_view events (no PII)", {
  [`facebook-nodejs-business-sdk ${SDK_VERSION} (Meta)`]: () => {
    for (let i = 0; i < N; i++) metaPageView(pageView, request, now);
  },
  "omni-meta-capi, tag.build": () => {
    for (let i = 0; i < N; i++) tag.build(pageView, request, { now });
  },
}, { items: N, rounds: ROUNDS, unit: "events", peerLabel: "Meta's SDK", width: 56 });
for (const [name, rate] of Object.entries(pv)) console.log(`${name.padEnd(56)} ${(1e6 / rate).toFixed(1).padStart(10)} µs/event`);

// How the two bodies differ (for reading; the SDK has its own normalizer, not capi-param-builder).
const sdkUd = JSON.parse(sdkBody).data[0].user_data;
const same = [], differ = [], plain = [];
for (const k of HASHED) {
  const theirs = sdkUd[k]?.[0];
  if (typeof theirs === "string" && !HEX64.test(theirs)) plain.push(k);
  else (theirs === ourUd[k][0] ? same : differ).push(k);
}
console.log(
  `body bytes: ours ${ourBody.length}, Meta's SDK ${sdkBody.length}; user_data hashes equal: ${same.join(",") || "none"}` +
    (differ.length ? `; differ: ${differ.join(",")}` : "") +
    (plain.length ? `; SDK sends unhashed: ${plain.join(",")}` : ""),
);
