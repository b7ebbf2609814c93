-- 0002: trust levels, the shared-identifier guard, erasure, retention, counters (issue 16).

-- How strongly each link is known: 0 browser (a browser hit's user-provided data), 1 user_id (a
-- browser that presented a server-vouched user_id), 2 server (an authenticated server event).
-- Links made before this migration have unknown provenance: they count as browser claims until a
-- server event vouches for them again.
ALTER TABLE identifiers ADD COLUMN trust INTEGER NOT NULL DEFAULT 0;
-- When a request last carried the identifier (retention of unlinked anonymous ids).
ALTER TABLE identifiers ADD COLUMN last_seen_at TEXT;
UPDATE identifiers SET last_seen_at = created_at;
CREATE INDEX identifiers_stale ON identifiers (kind, last_seen_at);

-- Who wrote a journal entry (the trimmed anonymous id), the normalized email/phone it carries
-- (erasure finds them in anyone's journal) and the writer's trust.
ALTER TABLE journal ADD COLUMN anonymous_id TEXT;
ALTER TABLE journal ADD COLUMN email TEXT;
ALTER TABLE journal ADD COLUMN phone TEXT;
ALTER TABLE journal ADD COLUMN trust INTEGER NOT NULL DEFAULT 0;
-- Older entries: the writer from the payload; the email lowercased (what normalize("em") does to
-- a plain address); phones are not backfilled (their persons' own erasure still removes them).
UPDATE journal SET anonymous_id = NULLIF(trim(json_extract(payload, '$.anonymous_id')), ''),
  email = NULLIF(lower(trim(json_extract(payload, '$.email'))), '');
CREATE INDEX journal_created ON journal (created_at);
CREATE INDEX journal_email ON journal (email) WHERE email IS NOT NULL;
CREATE INDEX journal_phone ON journal (phone) WHERE phone IS NOT NULL;
CREATE INDEX journal_writer ON journal (anonymous_id);

-- The shared-identifier guard: anonymous ids seen with an email/phone within the window (at
-- most SHARED_MAX_ANONYMOUS_IDS + 1 rows per identifier), and the identifiers flagged shared.
CREATE TABLE sightings (
  kind         TEXT NOT NULL,
  value        TEXT NOT NULL,
  anonymous_id TEXT NOT NULL,
  seen_at      TEXT NOT NULL,
  PRIMARY KEY (kind, value, anonymous_id)
);
CREATE INDEX sightings_seen ON sightings (seen_at);
CREATE INDEX sightings_anon ON sightings (anonymous_id);
CREATE TABLE shared_identifiers (
  kind          TEXT NOT NULL,
  value         TEXT NOT NULL,
  anonymous_ids INTEGER NOT NULL,   -- how many were seen with it when it was flagged
  flagged_at    TEXT NOT NULL,
  PRIMARY KEY (kind, value)
);

-- Counters for GET /api/v1/stats.
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO counters (name, value) VALUES ('links_refused', 0), ('shared_flagged', 0), ('erasures', 0),
  ('retention_journal_entries', 0), ('retention_anonymous_ids', 0);

-- Per-request scratch rows (written and deleted inside the request's batch): the request's
-- effective trust and winner; the persons and values an erasure removes.
DROP TABLE request_winner;
CREATE TABLE request_state (
  req_id TEXT PRIMARY KEY,
  trust  INTEGER NOT NULL,
  winner TEXT
);
CREATE TABLE erase_targets (
  req_id TEXT NOT NULL,
  uuid   TEXT NOT NULL,
  PRIMARY KEY (req_id, uuid)
);
CREATE TABLE erase_values (
  req_id TEXT NOT NULL,
  kind   TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (req_id, kind, value)
);
