// `send --events` on a large file (default 1,000,000 CSV rows; BENCH_ROWS, BENCH_FORMAT=jsonl)
// against the local sandbox, each in its own process over loopback: rows/s and the uploader's
// peak RSS (VmHWM, read from /proc while it runs). After `node scripts/build.mjs`.
import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../../js/cli.mjs", import.meta.url));
const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const format = process.env.BENCH_FORMAT === "jsonl" ? "jsonl" : "csv";
const dir = mkdtempSync(join(tmpdir(), "omni-bulk-bench-"));
const file = join(dir, `events.${format}`);

async function generate() {
  const out = createWriteStream(file);
  const t = Math.floor(Date.now() / 1000) - 86400;
  const write = (s) => (out.write(s) ? null : new Promise((resolve) => out.once("drain", resolve)));
  if (format === "csv") await write("event_name,event_time,order_id,value,currency,email,phone,first_name,last_name,city,country\n");
  for (let i = 0; i < rows; i++) {
    const r = { event_name: "Purchase", event_time: t, order_id: `ORD-${i}`, value: (i % 500) + 0.99, currency: "EUR", email: `Customer.${i}@Example.com`, phone: `+49 30 ${1000000 + i}`, first_name: "Anna", last_name: "Schmidt", city: "Berlin", country: "DE" };
    await write(format === "csv" ? `${Object.values(r).join(",")}\n` : `${JSON.stringify(r)}\n`);
  }
  await new Promise((resolve) => out.end(resolve));
}

function peakRss(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

await generate();
const size = (await import("node:fs")).statSync(file).size;
const sandbox = spawn(process.execPath, [cli, "sandbox", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise((resolve) => sandbox.stdout.once("data", (d) => resolve(String(d).split("\n")[0])));
sandbox.stdout.resume();
const config = join(dir, "tag.json");
writeFileSync(config, JSON.stringify({ pixelId: "1234567890", accessToken: "bench-token", graphBaseUrl: url, actionSource: "physical_store" }));

const started = process.hrtime.bigint();
const child = spawn(process.execPath, [cli, "send", "--config", config, "--events", file, "--json"], { stdio: ["ignore", "pipe", "inherit"] });
let peak = 0;
const timer = setInterval(() => (peak = Math.max(peak, peakRss(child.pid))), 100);
let stdout = "";
child.stdout.on("data", (d) => (stdout += d));
const code = await new Promise((resolve) => child.once("exit", resolve));
clearInterval(timer);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
sandbox.kill("SIGTERM");
rmSync(dir, { recursive: true, force: true });
const summary = JSON.parse(stdout || "{}");
console.log(JSON.stringify({
  format, rows, fileMB: Number((size / 1e6).toFixed(1)), exit: code, sent: summary.sent, invalid: summary.invalid,
  seconds: Number(seconds.toFixed(1)), rowsPerSecond: Math.round(rows / seconds), peakRssMB: Number((peak / 1048576).toFixed(1)),
}));
process.exitCode = code === 0 && summary.sent === rows ? 0 : 1;
