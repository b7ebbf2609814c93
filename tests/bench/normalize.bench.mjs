// Benchmark: records per second normalizing + hashing all 11 hashed fields of a record, through
// the wasm package in Node, against Meta's capi-param-builder-nodejs on the same records in the
// same run. Prints the ratios; asserts nothing (timings are for reading, not for gating).
import { createRequire } from "node:module";
import { runInterleaved } from "./harness.mjs";
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

runInterleaved("records of 11 PII fields", contenders, { items: N, rounds: ROUNDS, unit: "records", peerLabel: "Meta's builder", width: 58 });
