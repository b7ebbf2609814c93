-- Omni-Identity-compatible service: initial schema (Cloudflare D1 / SQLite).
-- Applied by `wrangler d1 migrations apply` in production and by identity/migrate.mjs locally.

-- A person: the stable uuid the API returns. Merged persons are deleted and kept as aliases.
CREATE TABLE persons (
  uuid       TEXT PRIMARY KEY,
  created_at TEXT NOT NULL            -- ISO 8601 UTC; the merge rule keeps the smallest (then smallest uuid)
);
CREATE INDEX persons_created ON persons (created_at, uuid);

-- Identifiers: (kind, value) -> person. kind is 'anonymous_id' | 'email' | 'phone';
-- email and phone are stored normalized (omni-meta-capi normalize("em"/"ph")).
-- UNIQUE(kind, value) is what makes concurrent first requests converge on one person.
CREATE TABLE identifiers (
  kind        TEXT NOT NULL,
  value       TEXT NOT NULL,
  person_uuid TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  UNIQUE (kind, value)
);
CREATE INDEX identifiers_person ON identifiers (person_uuid, kind);

-- Journal: one entry per request, the original request payload as JSON text.
CREATE TABLE journal (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  person_uuid TEXT NOT NULL,
  payload     TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX journal_person ON journal (person_uuid, created_at, id);

-- Aliases: uuids of persons merged into another; alias_uuid always points at a live person.
CREATE TABLE aliases (
  alias_uuid  TEXT PRIMARY KEY,
  person_uuid TEXT NOT NULL,
  merged_at   TEXT NOT NULL
);
CREATE INDEX aliases_person ON aliases (person_uuid);

-- Per-request scratch rows, written and deleted inside the request's single batch (transaction),
-- so later statements of the batch can refer to the winner computed by an earlier one.
CREATE TABLE request_winner (
  req_id TEXT PRIMARY KEY,
  winner TEXT NOT NULL
);
CREATE TABLE request_losers (
  req_id TEXT NOT NULL,
  uuid   TEXT NOT NULL,
  PRIMARY KEY (req_id, uuid)
);

-- Fixed-window rate limiting: key = SHA-256 of the bearer token (the token itself is never stored).
CREATE TABLE rate_limits (
  key          TEXT NOT NULL,
  window_start INTEGER NOT NULL,      -- unix seconds
  count        INTEGER NOT NULL,
  PRIMARY KEY (key, window_start)
);
