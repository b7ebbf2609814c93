// Where the monitoring history lives (src/ops/history.rs decides what goes in and what it means):
// - `sqlHistory` over SQLite: Node (better-sqlite3: the queue's file or `history.path`) and a
//   Cloudflare Durable Object (its own SQLite storage), with the same SQL;
// - `MonitorHistory`: that Durable Object, one for the whole Worker, so every isolate's counts
//   add up in one place;
// - `memoryHistory`: neither configured: this instance only, gone on restart (the dashboard says so).
// Only counts, names and Meta's redacted texts are stored: no PII, no token.

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS monitor_counts (res TEXT NOT NULL, at INTEGER NOT NULL, tag TEXT NOT NULL, pixel TEXT NOT NULL, event TEXT NOT NULL, metric TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (res, at, tag, pixel, event, metric))",
  "CREATE TABLE IF NOT EXISTS monitor_recent (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, entry TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS monitor_last (tag TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (tag, kind))",
  "CREATE TABLE IF NOT EXISTS monitor_alerts (id TEXT PRIMARY KEY, posted_at INTEGER NOT NULL)",
];
const RECENT_KEPT = 50;

/**
 * The history over a SQL database: `db.run(sql, params)`, `db.all(sql, params)` -> rows,
 * `db.tx(fn)` (fn run in one transaction). Every method is synchronous.
 */
export function sqlHistory(db, kind) {
  for (const s of SCHEMA) db.run(s, []);
  const add = (delta) =>
    db.tx(() => {
      for (const [res, at, tag, pixel, event, metric, n] of delta.rows ?? [])
        db.run(
          "INSERT INTO monitor_counts (res, at, tag, pixel, event, metric, n) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (res, at, tag, pixel, event, metric) DO UPDATE SET n = n + excluded.n",
          [res, at, tag, pixel, event, metric, n],
        );
      for (const e of delta.recent ?? []) db.run("INSERT INTO monitor_recent (at, entry) VALUES (?, ?)", [e.atMs ?? 0, JSON.stringify(e)]);
      if (delta.recent?.length) db.run("DELETE FROM monitor_recent WHERE seq <= (SELECT max(seq) FROM monitor_recent) - ?", [RECENT_KEPT]);
      for (const [tag, k, at] of delta.last ?? [])
        db.run("INSERT INTO monitor_last (tag, kind, at) VALUES (?, ?, ?) ON CONFLICT (tag, kind) DO UPDATE SET at = max(at, excluded.at)", [tag, k, at]);
      if (delta.prune) {
        db.run("DELETE FROM monitor_counts WHERE res = 'm' AND at < ?", [delta.prune.m]);
        db.run("DELETE FROM monitor_counts WHERE res = 'h' AND at < ?", [delta.prune.h]);
      }
    });
  return {
    kind,
    durable: true,
    /** Add a drained activity (`{rows, recent, last, prune}`). */
    add,
    /** `{rows, recent, last, posted}`: the count rows of each `{res, from}`, and the rest. */
    read(queries) {
      const rows = [];
      for (const q of queries ?? [])
        for (const r of db.all("SELECT res, at, tag, pixel, event, metric, n FROM monitor_counts WHERE res = ? AND at >= ?", [q.res, q.from]))
          rows.push([r.res, r.at, r.tag, r.pixel, r.event, r.metric, r.n]);
      const recent = db.all("SELECT entry FROM monitor_recent ORDER BY seq DESC LIMIT ?", [RECENT_KEPT]).map((r) => JSON.parse(r.entry));
      const last = db.all("SELECT tag, kind, at FROM monitor_last", []).map((r) => [r.tag, r.kind, r.at]);
      const posted = db.all("SELECT id, posted_at FROM monitor_alerts", []).map((r) => [r.id, r.posted_at]);
      return { rows, recent, last, posted };
    },
    /** Take alert `id`'s post for this window: true once per `windowMs` across every instance. */
    claim(id, now, windowMs) {
      return db.tx(() => {
        const prev = db.all("SELECT posted_at FROM monitor_alerts WHERE id = ?", [id])[0];
        if (prev && prev.posted_at + windowMs > now) return false;
        db.run("INSERT INTO monitor_alerts (id, posted_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET posted_at = excluded.posted_at", [id, now]);
        return true;
      });
    },
    /** Give back the claim taken at `at` (its post failed): the next check may post it. */
    unclaim(id, at) {
      db.run("DELETE FROM monitor_alerts WHERE id = ? AND posted_at = ?", [id, at]);
    },
  };
}

/** The history in a better-sqlite3 database (its own connection, WAL: the outbox may share the file). */
export function sqliteHistory(Database, path) {
  const conn = new Database(path);
  conn.pragma("journal_mode = WAL");
  conn.pragma("busy_timeout = 5000");
  const statements = new Map();
  const prepared = (sql) => statements.get(sql) ?? statements.set(sql, conn.prepare(sql)).get(sql);
  const db = {
    run: (sql, params) => prepared(sql).run(...params),
    all: (sql, params) => prepared(sql).all(...params),
    tx: (fn) => conn.transaction(fn)(),
  };
  return { ...sqlHistory(db, "sqlite"), path, close: () => conn.close() };
}

/** This instance only (no durable store configured): same answers, kept in memory. */
export function memoryHistory() {
  const counts = new Map();
  let recent = [];
  const last = new Map();
  const posted = new Map();
  return {
    kind: "memory",
    durable: false,
    add(delta) {
      for (const [res, at, tag, pixel, event, metric, n] of delta.rows ?? []) {
        const key = JSON.stringify([res, at, tag, pixel, event, metric]);
        counts.set(key, (counts.get(key) ?? 0) + n);
      }
      recent = [...recent, ...(delta.recent ?? [])].slice(-RECENT_KEPT);
      for (const [tag, k, at] of delta.last ?? []) last.set(JSON.stringify([tag, k]), Math.max(at, last.get(JSON.stringify([tag, k])) ?? 0));
      for (const key of counts.keys()) {
        const [res, at] = JSON.parse(key);
        if (delta.prune && at < delta.prune[res]) counts.delete(key);
      }
    },
    read(queries) {
      const rows = [];
      for (const [key, n] of counts) {
        const r = JSON.parse(key);
        if ((queries ?? []).some((q) => q.res === r[0] && r[1] >= q.from)) rows.push([...r, n]);
      }
      const lastRows = [...last].map(([k, at]) => [...JSON.parse(k), at]);
      return { rows, recent: [...recent].reverse(), last: lastRows, posted: [...posted] };
    },
    claim(id, now, windowMs) {
      if ((posted.get(id) ?? -Infinity) + windowMs > now) return false;
      posted.set(id, now);
      return true;
    },
    unclaim(id, at) {
      if (posted.get(id) === at) posted.delete(id);
    },
  };
}

/**
 * The Durable Object that keeps a Worker's history (its SQLite storage: wrangler.toml's
 * `new_sqlite_classes`). One instance (`idFromName("history")`) serves every isolate; it runs
 * one request at a time, so counts add up and an alert is claimed once.
 */
export class MonitorHistory {
  constructor(ctx) {
    const sql = ctx.storage.sql;
    const db = {
      run: (q, params) => sql.exec(q, ...params),
      all: (q, params) => sql.exec(q, ...params).toArray(),
      tx: (fn) => ctx.storage.transactionSync(fn),
    };
    this.store = sqlHistory(db, "durable-object");
  }

  async fetch(request) {
    let call;
    try {
      call = await request.json();
    } catch {
      return Response.json({ error: "not JSON" }, { status: 400 });
    }
    const op = ["add", "read", "claim", "unclaim"].includes(call?.op) ? call.op : null;
    if (!op) return Response.json({ error: "unknown op" }, { status: 400 });
    return Response.json({ result: this.store[op](...(Array.isArray(call.args) ? call.args : [])) ?? null });
  }
}

/** A Worker's client of the MonitorHistory Durable Object (`namespace`: its binding). */
export function durableObjectHistory(namespace) {
  const call = async (op, ...args) => {
    // A stub per call: Workers ties a stub to the request that made it.
    const stub = namespace.get(namespace.idFromName("history"));
    const res = await stub.fetch("https://monitor-history/", { method: "POST", body: JSON.stringify({ op, args }) });
    if (!res.ok) throw new Error(`monitor history: HTTP ${res.status}`);
    return (await res.json()).result;
  };
  return {
    kind: "durable-object",
    durable: true,
    add: (delta) => call("add", delta),
    read: (queries) => call("read", queries),
    claim: (id, now, windowMs) => call("claim", id, now, windowMs),
    unclaim: (id, at) => call("unclaim", id, at),
  };
}
