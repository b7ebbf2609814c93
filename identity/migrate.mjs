// Applies identity/migrations/*.sql to a D1 database (a Miniflare D1 from mf.getD1Database(...),
// or any object with D1's prepare/batch API), recording them in `d1_migrations` the way
// `wrangler d1 migrations apply` does, so the two can be mixed. Each file runs as one batch
// (one transaction) together with its bookkeeping row: a failing migration leaves nothing behind.
//
//   import { applyMigrations } from "./identity/migrate.mjs";
//   await applyMigrations(await mf.getD1Database("DB"));
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));

// Splits SQL text into statements: strips -- and /* */ comments, splits on ';' outside quotes.
export function splitSql(text) {
  const out = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "-" && text[i + 1] === "-") {
      while (i < text.length && text[i] !== "\n") i++;
      cur += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end === -1 ? text.length : end + 1;
      cur += " ";
    } else if (c === "'" || c === '"' || c === "`") {
      let j = i + 1;
      while (j < text.length && !(text[j] === c && text[j + 1] !== c)) j += text[j] === c ? 2 : 1;
      cur += text.slice(i, j + 1);
      i = j;
    } else if (c === ";") {
      if (cur.trim()) out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export async function applyMigrations(db, { dir = MIGRATIONS_DIR, log = () => {} } = {}) {
  await db
    .prepare("CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)")
    .run();
  const done = new Set((await db.prepare("SELECT name FROM d1_migrations").all()).results.map((r) => r.name));
  const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
  const applied = [];
  for (const name of files) {
    if (done.has(name)) continue;
    const statements = splitSql(readFileSync(join(dir, name), "utf8")).map((sql) => db.prepare(sql));
    statements.push(db.prepare("INSERT INTO d1_migrations (name) VALUES (?1)").bind(name));
    await db.batch(statements);
    applied.push(name);
    log(`applied ${name}`);
  }
  return applied;
}
