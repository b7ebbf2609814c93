// The durable outbox of `omni-meta-capi serve --queue FILE`: accepted events in SQLite (WAL), one
// row per event and tag, until Meta accepted them or they are dead-lettered with a reason. Pure
// storage: what becomes of a row after a try is decided in Rust (WasmTag.settle); this file only
// runs the SQL. The file holds events as received (plaintext PII included, as the identity
// service needs it): it is created readable by its owner only.
import { chmodSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { sqliteHistory } from "./history.mjs";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tag TEXT NOT NULL,
  event_id TEXT,
  event_name TEXT,
  event TEXT NOT NULL,
  request TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (tag, next_at);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY,
  tag TEXT NOT NULL,
  event_id TEXT,
  event_name TEXT,
  event TEXT NOT NULL,
  request TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  reason TEXT NOT NULL,
  dead_at INTEGER NOT NULL
);
`;

/** better-sqlite3, loaded only when a queue is asked for (Workers and browsers never need it). */
function loadSqlite() {
  try {
    return createRequire(import.meta.url)("better-sqlite3");
  } catch (e) {
    throw new Error(`the durable queue needs better-sqlite3 (npm install better-sqlite3@12): ${e.message}`);
  }
}

/** The monitoring history in a SQLite file (the outbox's, or its own: `history.path`). */
export function openHistory(path) {
  const Database = loadSqlite();
  const created = !existsSync(path);
  const history = sqliteHistory(Database, path);
  if (created) chmodSync(path, 0o600);
  return history;
}

/**
 * Open (or create) an outbox. `synchronous`: "normal" (survives a crash of the process: what the
 * 2xx promises) or "full" (survives a power loss too, at a commit's fsync each).
 */
export function openOutbox(path, { synchronous = "normal" } = {}) {
  const Database = loadSqlite();
  const created = !existsSync(path);
  const db = new Database(path);
  if (created) chmodSync(path, 0o600);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
  db.pragma("busy_timeout = 5000");
  db.exec(SCHEMA);

  const insert = db.prepare(
    "INSERT INTO outbox (tag, event_id, event_name, event, request, received_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const dueRows = db.prepare(
    "SELECT id, tag, event_id AS eventId, event_name AS eventName, event, request, received_at AS receivedAt, attempts FROM outbox WHERE tag = ? AND next_at <= ? ORDER BY next_at, id LIMIT ?",
  );
  const remove = db.prepare("DELETE FROM outbox WHERE id = ?");
  const reschedule = db.prepare("UPDATE outbox SET attempts = attempts + 1, next_at = ? WHERE id = ?");
  const bury = db.prepare(
    "INSERT INTO dead_letters (id, tag, event_id, event_name, event, request, received_at, attempts, reason, dead_at) SELECT id, tag, event_id, event_name, event, request, received_at, attempts + 1, ?, ? FROM outbox WHERE id = ?",
  );
  const counts = () => db.prepare("SELECT (SELECT count(*) FROM outbox) AS pending, (SELECT count(*) FROM dead_letters) AS dead").get();
  let pending = counts().pending;

  const add = db.transaction((rows) => {
    for (const r of rows) insert.run(r.tag, r.eventId, r.eventName, r.event, r.request, r.receivedAt, r.receivedAt);
  });
  const settle = db.transaction((rows, results, now) => {
    let left = 0;
    rows.forEach((row, i) => {
      const r = results[i] ?? { action: "retry", retryAt: now };
      if (r.action === "retry") return reschedule.run(r.retryAt, row.id);
      if (r.action === "dead") bury.run(r.reason, now, row.id);
      remove.run(row.id);
      left++;
    });
    return left;
  });

  return {
    path,
    /** Commit events (`{tag, eventId, eventName, event, request, receivedAt}`, event and request
     * as JSON text) in one transaction: when this returns, they survive a crash. */
    add(rows) {
      add(rows);
      pending += rows.length;
    },
    /** Events waiting (for backpressure); kept in step without a query per request. */
    pending: () => pending,
    /** Count again (another process, e.g. `queue retry`, may have changed the file). */
    refresh() {
      pending = counts().pending;
    },
    /** Up to `limit` of a tag's events due at `now`, oldest first. */
    due: (tag, now, limit) => dueRows.all(tag, now, limit),
    /** Apply the wasm's decisions (`{action, retryAt?, reason?}` per row, in order). */
    settle(rows, results, now = Date.now()) {
      pending -= settle(rows, results, now);
    },
    /** When the next event is due (ms), or null when the outbox is empty. */
    nextDueAt: () => db.prepare("SELECT min(next_at) AS at FROM outbox").get().at ?? null,
    /** `{pending, dead, due, oldestReceivedAt, byTag: {tag: {pending, dead}}, deadByReason}`. */
    stats(now = Date.now()) {
      const c = counts();
      const byTag = {};
      for (const r of db.prepare("SELECT tag, count(*) AS n FROM outbox GROUP BY tag").all()) (byTag[r.tag] ??= { pending: 0, dead: 0 }).pending = r.n;
      for (const r of db.prepare("SELECT tag, count(*) AS n FROM dead_letters GROUP BY tag").all()) (byTag[r.tag] ??= { pending: 0, dead: 0 }).dead = r.n;
      const deadByReason = Object.fromEntries(
        db.prepare("SELECT reason, count(*) AS n FROM dead_letters GROUP BY reason ORDER BY n DESC").all().map((r) => [r.reason, r.n]),
      );
      const due = db.prepare("SELECT count(*) AS n FROM outbox WHERE next_at <= ?").get(now).n;
      const oldest = db.prepare("SELECT min(received_at) AS at FROM outbox").get().at ?? null;
      return { pending: c.pending, dead: c.dead, due, oldestReceivedAt: oldest, byTag, deadByReason };
    },
    /** Dead-letter the events of tags the config no longer has (renamed or removed): they
     * would otherwise wait forever. Returns how many. */
    buryOrphans: db.transaction((tags, now = Date.now()) => {
      const marks = tags.map(() => "?").join(", ");
      const orphans = db.prepare(`SELECT id, tag FROM outbox WHERE tag NOT IN (${marks || "''"})`).all(...tags);
      for (const o of orphans) {
        bury.run(`no tag named "${o.tag}" in the container config`, now, o.id);
        remove.run(o.id);
      }
      pending -= orphans.length;
      return orphans.length;
    }),
    /** Dead letters, newest first: what an operator needs, never the event's data. */
    listDead: ({ limit = 100, offset = 0 } = {}) =>
      db
        .prepare(
          "SELECT id, tag, event_id AS eventId, event_name AS eventName, received_at AS receivedAt, attempts, reason, dead_at AS deadAt FROM dead_letters ORDER BY dead_at DESC, id DESC LIMIT ? OFFSET ?",
        )
        .all(limit, offset),
    /** Ids of dead letters (all, or those whose reason contains `reason`). */
    deadIds: ({ reason } = {}) =>
      (reason ? db.prepare("SELECT id FROM dead_letters WHERE instr(reason, ?) > 0 ORDER BY id").all(reason) : db.prepare("SELECT id FROM dead_letters ORDER BY id").all()).map(
        (r) => r.id,
      ),
    /** Move dead letters back into the outbox, due now, their tries counted afresh. */
    retryDead: db.transaction((ids, now = Date.now()) => {
      const back = db.prepare(
        "INSERT INTO outbox (tag, event_id, event_name, event, request, received_at, attempts, next_at) SELECT tag, event_id, event_name, event, request, received_at, 0, ? FROM dead_letters WHERE id = ?",
      );
      const drop = db.prepare("DELETE FROM dead_letters WHERE id = ?");
      let moved = 0;
      for (const id of ids) moved += back.run(now, id).changes && drop.run(id).changes;
      pending += moved;
      return moved;
    }),
    /** Delete dead letters by id. */
    purgeDead: db.transaction((ids) => {
      const drop = db.prepare("DELETE FROM dead_letters WHERE id = ?");
      let n = 0;
      for (const id of ids) n += drop.run(id).changes;
      return n;
    }),
    close: () => db.close(),
  };
}
