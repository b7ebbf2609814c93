// `omni-meta-capi send --events FILE`: offline conversions in bulk. I/O only: rows are read as a
// stream (CSV through csv-parse, or JSON lines), turned into event data by the wasm (column
// names, derived event_ids: crates/core/src/pipeline/offline.rs), handed to the tag in batches (the wasm
// normalizes, hashes, validates, builds and decides retries), and the progress is checkpointed.
import { createReadStream, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { parse } from "csv-parse";
import { offlineEvents } from "./node.mjs";
// The wasm as node.mjs initialized it: what a batch's rows became, and the exit status, are
// the wasm's decisions (crates/core/src/pipeline/offline.rs); this file reads, reports and
// checkpoints.
import * as wasm from "../pkg/omni_meta_capi.js";

/** Longest JSON line read (a line without end must not grow memory without bound). */
const MAX_LINE = 1 << 20;

/** Rows of a CSV file with a header row: `{line, record}` (column -> value) or `{line, error}`. */
async function* csvRows(stream) {
  const skipped = [];
  const parser = stream.pipe(parse({
    bom: true, info: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true,
    on_skip: (err) => skipped.push({ line: err.lines ?? 0, error: `unreadable CSV (${err.code})` }),
  }));
  // pipe() does not pass a read error on: end the parse with it.
  stream.on("error", (e) => parser.destroy(e));
  let header;
  for await (const { record, info } of parser) {
    yield* skipped.splice(0);
    if (!header) {
      header = record.map((c) => c.trim());
      continue;
    }
    if (record.length !== header.length) {
      yield { line: info.lines, error: `${record.length} fields where the header has ${header.length}` };
      continue;
    }
    const row = {};
    header.forEach((name, i) => (row[name] = record[i]));
    yield { line: info.lines, record: row };
  }
  yield* skipped.splice(0);
}

/** Rows of a JSON-lines file: one object per line; blank lines skipped. */
async function* jsonRows(stream) {
  stream.setEncoding("utf8");
  let pending = "";
  let line = 0;
  let tooLong = false;
  const row = (text) => {
    line++;
    if (!text.trim()) return null;
    let value;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return { line, error: `not valid JSON (${e.message})` };
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) return { line, error: "not a JSON object" };
    return { line, record: value };
  };
  for await (const chunk of stream) {
    pending += chunk;
    let cut;
    while ((cut = pending.indexOf("\n")) >= 0) {
      const text = pending.slice(0, cut);
      pending = pending.slice(cut + 1);
      if (tooLong) {
        line++;
        tooLong = false;
        yield { line, error: `line longer than ${MAX_LINE} characters` };
        continue;
      }
      const r = row(text);
      if (r) yield r;
    }
    if (pending.length > MAX_LINE) {
      tooLong = true;
      pending = "";
    }
  }
  if (tooLong) yield { line: line + 1, error: `line longer than ${MAX_LINE} characters` };
  else if (pending) {
    const r = row(pending);
    if (r) yield r;
  }
}

/** Each row's event data, from the wasm (the same row gets the same event_id every run). */
function withEvents(rows) {
  const events = offlineEvents(rows.map((r) => r.record));
  return rows.map((r, i) => ({ line: r.line, event: events[i] }));
}

function readState(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    if (e.code === "ENOENT") return null;
    return { unreadable: e.message };
  }
}

/** Atomically: a kill leaves the old state or the new one. */
function saveState(path, state) {
  writeFileSync(`${path}.tmp`, JSON.stringify(state) + "\n");
  renameSync(`${path}.tmp`, path);
}

function duration(seconds) {
  if (!Number.isFinite(seconds)) return "-";
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** The progress line on stderr: bar by bytes read, rows/s, sent, rejected, ETA. */
function progressBar(enabled, total) {
  let last = 0;
  return (c, bytes, final = false) => {
    if (!enabled) return;
    const now = Date.now();
    if (!final && now - last < 200) return;
    last = now;
    const elapsed = (now - c.started) / 1000;
    const rate = elapsed > 0 ? c.rows / elapsed : 0;
    const share = total ? Math.min(bytes / total, 1) : 0;
    const eta = share > 0 ? (elapsed / share) * (1 - share) : Infinity;
    const width = 24;
    const full = Math.round(share * width);
    const bar = `[${"#".repeat(full)}${"-".repeat(width - full)}] ${(share * 100).toFixed(0).padStart(3)}%`;
    const rejected = c.invalid + c.rejected;
    process.stderr.write(`\r${bar} ${Math.round(rate)} rows/s  sent ${c.sent}  rejected ${rejected}  ETA ${final ? "0m00s" : duration(eta)}   ${final ? "\n" : ""}`);
  };
}

function reportBad(line, message) {
  process.stderr.write(`line ${line}: ${message}\n`);
}

/**
 * Upload (or with dryRun, validate) every row of `file`. Returns the exit status; prints the
 * summary. Rows are sent in order, one batch at a time, so the state file's line is a clean cut.
 */
export async function bulkSend({ tag, file, request, batchSize, dryRun, resume, state: statePath, progress, json, write, UsageError }) {
  if (!tag.configReport.valid) {
    for (const e of tag.configReport.errors) process.stderr.write(`config error ${e.field}: ${e.message}\n`);
    return 1;
  }
  const { size } = statSync(file);
  let after = 0;
  const c = { started: Date.now(), rows: 0, sent: 0, invalid: 0, skipped: 0, rejected: 0 };
  if (resume) {
    const saved = readState(statePath);
    if (saved?.unreadable) throw new UsageError(`cannot read state ${statePath}: ${saved.unreadable}`);
    if (saved && saved.size !== size) throw new UsageError(`${file} changed since the upload began (state ${statePath}); start again without --resume`);
    if (saved) {
      after = saved.line;
      for (const k of ["rows", "sent", "invalid", "skipped", "rejected"]) c[k] = saved[k] ?? 0;
    }
  }
  const stream = createReadStream(file);
  stream.on("error", () => {}); // surfaced by the iteration below
  const rows = /\.csv$/i.test(file) ? csvRows(stream) : jsonRows(stream);
  const show = progressBar(progress, size);
  const log = (record) => {
    if (record.level === "ERROR") process.stderr.write(JSON.stringify(record) + "\n");
  };
  let stopped = null;
  let lastLine = after;
  let batch = [];

  /** What became of each row of a batch (the wasm settles it): `{outcomes, stop}`. */
  const settle = async (rowsIn) => {
    const result = dryRun
      ? { events: rowsIn.map((r, index) => {
          const { status, report } = tag.build(r.event, request);
          return { index, status, report };
        }) }
      : await tag.runBatch(rowsIn.map((r) => r.event), request, { log });
    const settled = JSON.parse(wasm.bulkSettle(JSON.stringify({ results: result.results, events: result.events }), rowsIn.length));
    for (const p of settled.problems) {
      const [first, last] = [rowsIn[p.first].line, rowsIn[p.last].line];
      reportBad(first === last ? first : `${first}-${last}`, p.message);
    }
    return settled;
  };

  // Two batches at a time (one building while the other waits for Meta); they are committed to
  // the state file in order, so its line is always a clean cut.
  const inFlight = [];
  const commit = async () => {
    const { rowsIn, outcome, bad } = inFlight.shift();
    const { outcomes, stop } = await outcome;
    if (stopped) return false;
    if (stop) {
      stopped = stop;
      return false;
    }
    const key = { accepted: "sent", rejected: "rejected", invalid: "invalid", skipped: "skipped" };
    for (const o of outcomes) c[key[o]]++;
    c.rows += rowsIn.length + bad.rows;
    c.invalid += bad.rows;
    lastLine = Math.max(rowsIn.length ? rowsIn[rowsIn.length - 1].line : 0, bad.line);
    if (!dryRun) saveState(statePath, { file, size, line: lastLine, ...c, started: undefined });
    show(c, stream.bytesRead);
    return true;
  };
  let bad = { rows: 0, line: 0 };
  const flush = async () => {
    if (!batch.length && !bad.rows) return true;
    const rowsIn = withEvents(batch);
    inFlight.push({ rowsIn, outcome: settle(rowsIn), bad });
    batch = [];
    bad = { rows: 0, line: 0 };
    while (inFlight.length >= 2) if (!(await commit())) return false;
    return true;
  };

  try {
    for await (const row of rows) {
      if (row.line <= after) continue;
      if (row.error) {
        // Counted with the batch it falls in, so a checkpoint covers it exactly once.
        bad.rows++;
        bad.line = row.line;
        reportBad(row.line, row.error);
        continue;
      }
      batch.push(row);
      if (batch.length >= batchSize && !(await flush())) break;
    }
    if (!stopped && (await flush())) while (inFlight.length && (await commit()));
    // A stop leaves later batches running: wait for them (their rows are sent again on resume).
    await Promise.allSettled(inFlight.map((f) => f.outcome));
  } catch (e) {
    throw new UsageError(`cannot read events ${file}: ${e.code ?? e.message}`);
  } finally {
    stream.destroy();
  }
  show(c, stream.bytesRead, true);
  const seconds = (Date.now() - c.started) / 1000;
  const summary = {
    file, dryRun, rows: c.rows, sent: c.sent, invalid: c.invalid, skipped: c.skipped, rejected: c.rejected,
    ...(after ? { resumedAfterLine: after } : {}), lastLine, seconds: Number(seconds.toFixed(3)),
    ...(stopped ? { stopped: `a batch ${stopped === "failed" ? "failed after retries" : "got no answer (Meta may have it)"}: run again with --resume` } : {}),
  };
  const verb = dryRun ? "valid" : "sent";
  await write(json ? JSON.stringify(summary) + "\n"
    : `${c.rows} rows: ${c.sent} ${verb}, ${c.invalid} invalid, ${c.rejected} rejected by Meta, ${c.skipped} skipped (consent)${after ? `; resumed after line ${after}` : ""}\n${summary.stopped ? `stopped after line ${lastLine}: ${summary.stopped}\n` : ""}`);
  return wasm.bulkExitCode(Boolean(stopped), c.rejected, c.invalid);
}
