// Benchmark: records per second normalizing + hashing all 11 hashed fields of a record, through
// the wasm package in Node, against Meta's capi-param-builder-nodejs on the same records in the
// same run. Prints the ratios; asserts nothing (timings are for reading, not for gating).
import { createRequire } from "node:module";
import { hashUserDataBatch, hashUserData } from "../../js/node.mjs";
import { records, FIELDS } from "../packaging/corpus.mjs";

const require = createRequire(import.meta.url);
const { ParamBuilder } = require("capi-param-builder-nodejs");
const builder = new ParamBuilder();
const DATA_TYPE = {
  em: "email", ph: "phone", fn: "first_name", ln: "last_name", ge: "gender", db: "date_of_birth",
  ct: "city", st: "state", zp: "zip_code", country: "country", external_id: "external_id",
};

const N = Number(process.env.BENCH_RECORDS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const BATCH = 500;
const data = records(42, N);

const contenders = {
  "capi-param-builder-nodejs 1.3.2 (Meta)": () => {
    for (const rec of data) for (const f of FIELDS) builder.getNormalizedAndHashedPII(rec[f], DATA_TYPE[f]);
  },
  "omni-meta-capi, hashUserDataBatch (500 records per call)": () => {
    for (let i = 0; i < data.length; i += BATCH) hashUserDataBatch(data.slice(i, i + BATCH));
  },
  "omni-meta-capi, hashUserData (one call per record)": () => {
    for (const rec of data) hashUserData(rec);
  },
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// Rounds interleave the contenders, so a noisy neighbour slows all of them alike.
const times = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
for (const fn of Object.values(contenders)) fn(); // warm-up (JIT, wasm tier-up)
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(contenders)) {
    const t0 = process.hrtime.bigint();
    fn();
    times[name].push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
}
const results = Object.fromEntries(Object.entries(times).map(([name, ts]) => [name, N / median(ts)]));

const [peerName, peer] = Object.entries(results)[0];
console.log(`records of 11 PII fields: ${N}, median of ${ROUNDS} rounds, Node ${process.version}`);
for (const [name, rps] of Object.entries(results)) {
  const ratio = name === peerName ? "" : `  ${(rps / peer).toFixed(2)}x Meta's builder`;
  console.log(`${name.padEnd(58)} ${Math.round(rps).toLocaleString("en-US").padStart(10)} records/s${ratio}`);
}
