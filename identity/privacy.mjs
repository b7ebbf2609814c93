// Erasure (POST /api/v1/erase, scope `erase`), retention (the scheduled() Cron Trigger) and the
// counters an operator reads (GET /api/v1/stats, scope `admin`).
import { HttpError, badParameter, trimmed, UUID } from "./http.mjs";
import { normalizedEmail, normalizedPhone } from "./stitch.mjs";
import { sql, prepare } from "./sql.mjs";

/** The erase request: any of email, phone, anonymous_id, user_id, uuid (400 naming a bad one). */
export function parseEraseRequest(body) {
  const email = normalizedEmail(body);
  const phone = normalizedPhone(body);
  if (phone === null && trimmed(body, "phone") !== null) throw badParameter("phone is not a usable phone number");
  const anon = trimmed(body, "anonymous_id");
  const userId = trimmed(body, "user_id");
  const uuid = trimmed(body, "uuid");
  if (uuid !== null && !UUID.test(uuid)) throw badParameter("uuid is not a UUID");
  const ids = [["email", email], ["phone", phone], ["anonymous_id", anon], ["user_id", userId]].filter(([, v]) => v !== null);
  if (ids.length === 0 && uuid === null) throw new HttpError(400, "MISSING_IDENTIFIER", "one of email, phone, anonymous_id, user_id or uuid is required");
  return { ids, uuid: uuid && uuid.toLowerCase() };
}

/**
 * Deletes, in one transaction, every person owning one of the identifiers (or the uuid, or the
 * person an alias uuid points to): their identifiers, aliases and journal; plus journal
 * entries, sightings and shared flags anywhere that carry one of those persons' identifiers or
 * the requested ones (a typed email lives on in the journal of whoever typed it).
 */
export async function erase(db, { ids, uuid }) {
  const req = crypto.randomUUID();
  const T = sql`(SELECT uuid FROM erase_targets WHERE req_id = ${req})`;
  const V = (kind) => sql`(SELECT value FROM erase_values WHERE req_id = ${req} AND kind = ${kind})`;
  const q = [
    sql`INSERT OR IGNORE INTO erase_targets (req_id, uuid) SELECT ${req}, uuid FROM persons WHERE uuid = ${uuid}
      UNION SELECT ${req}, person_uuid FROM aliases WHERE alias_uuid = ${uuid}`,
    ...ids.map(([kind, value]) => sql`INSERT OR IGNORE INTO erase_targets (req_id, uuid) SELECT ${req}, person_uuid FROM identifiers WHERE kind = ${kind} AND value = ${value}`),
    ...ids.map(([kind, value]) => sql`INSERT OR IGNORE INTO erase_values (req_id, kind, value) VALUES (${req}, ${kind}, ${value})`),
    sql`INSERT OR IGNORE INTO erase_values (req_id, kind, value) SELECT ${req}, kind, value FROM identifiers WHERE person_uuid IN ${T}`,
  ];
  const counted = [
    ["journal_entries", sql`DELETE FROM journal WHERE person_uuid IN ${T} OR email IN ${V("email")} OR phone IN ${V("phone")} OR anonymous_id IN ${V("anonymous_id")}`],
    ["identifiers", sql`DELETE FROM identifiers WHERE person_uuid IN ${T}`],
    ["aliases", sql`DELETE FROM aliases WHERE person_uuid IN ${T}`],
    ["persons", sql`DELETE FROM persons WHERE uuid IN ${T}`],
  ];
  const tail = [
    sql`DELETE FROM sightings WHERE (kind = 'email' AND value IN ${V("email")}) OR (kind = 'phone' AND value IN ${V("phone")}) OR anonymous_id IN ${V("anonymous_id")}`,
    sql`DELETE FROM shared_identifiers WHERE (kind = 'email' AND value IN ${V("email")}) OR (kind = 'phone' AND value IN ${V("phone")})`,
    sql`UPDATE counters SET value = value + 1 WHERE name = 'erasures'`,
    sql`DELETE FROM erase_targets WHERE req_id = ${req}`,
    sql`DELETE FROM erase_values WHERE req_id = ${req}`,
  ];
  const results = await db.batch([...q, ...counted.map(([, s]) => s), ...tail].map((s) => prepare(db, s)));
  const erased = {};
  counted.forEach(([name], i) => (erased[name] = results[q.length + i].meta.changes));
  console.log(`identity: erasure deleted ${erased.persons} person(s), ${erased.journal_entries} journal entries`);
  return { erased };
}

const RETENTION_CHUNK = 5000;

/**
 * Retention, run by the Cron Trigger with the trigger's time as now: journal entries older than
 * RETENTION_DAYS, anonymous ids not seen for as long whose person has nothing else (an
 * unlinked visitor) and the persons left without identifiers; plus stale sightings, shared
 * flags and rate-limit windows. Deletes in chunks so no statement runs long.
 */
export async function retention(db, policy, nowMs) {
  const cutoff = new Date(nowMs - policy.retentionDays * 86_400_000).toISOString();
  const sightingsCutoff = new Date(nowMs - policy.sharedWindowDays * 86_400_000).toISOString();
  const deleted = {
    journal_entries: await inChunks(db, sql`DELETE FROM journal WHERE id IN (SELECT id FROM journal WHERE created_at < ${cutoff} LIMIT ${RETENTION_CHUNK})`),
    anonymous_ids: await inChunks(db, sql`DELETE FROM identifiers WHERE rowid IN (SELECT i.rowid FROM identifiers i
      WHERE i.kind = 'anonymous_id' AND i.last_seen_at < ${cutoff}
      AND NOT EXISTS (SELECT 1 FROM identifiers o WHERE o.person_uuid = i.person_uuid AND o.kind <> 'anonymous_id') LIMIT ${RETENTION_CHUNK})`),
  };
  // Persons left without any identifier: their journal and aliases first, then themselves.
  const orphans = sql`SELECT p.uuid FROM persons p WHERE NOT EXISTS (SELECT 1 FROM identifiers i WHERE i.person_uuid = p.uuid)`;
  await inChunks(db, sql`DELETE FROM journal WHERE id IN (SELECT id FROM journal WHERE person_uuid IN (${orphans}) LIMIT ${RETENTION_CHUNK})`);
  await inChunks(db, sql`DELETE FROM aliases WHERE alias_uuid IN (SELECT alias_uuid FROM aliases WHERE person_uuid IN (${orphans}) LIMIT ${RETENTION_CHUNK})`);
  deleted.persons = await inChunks(db, sql`DELETE FROM persons WHERE uuid IN (${orphans} LIMIT ${RETENTION_CHUNK})`);
  await db.batch(
    [
      sql`DELETE FROM sightings WHERE seen_at < ${sightingsCutoff}`,
      sql`DELETE FROM shared_identifiers WHERE flagged_at < ${cutoff}`,
      sql`DELETE FROM rate_limits WHERE window_start < ${Math.floor(nowMs / 1000) - 86_400}`,
      sql`UPDATE counters SET value = value + ${deleted.journal_entries} WHERE name = 'retention_journal_entries'`,
      sql`UPDATE counters SET value = value + ${deleted.anonymous_ids} WHERE name = 'retention_anonymous_ids'`,
    ].map((s) => prepare(db, s)),
  );
  console.log(`identity: retention (${policy.retentionDays} days) deleted ${deleted.journal_entries} journal entries, ${deleted.anonymous_ids} unlinked anonymous ids, ${deleted.persons} persons`);
  return deleted;
}

async function inChunks(db, statement) {
  let total = 0;
  for (;;) {
    const { meta } = await prepare(db, statement).run();
    total += meta.changes;
    if (meta.changes < RETENTION_CHUNK) return total;
  }
}

/** Counters and table sizes, no identifier values. */
export async function stats(db) {
  const [counters, sizes] = await db.batch([
    db.prepare("SELECT name, value FROM counters ORDER BY name"),
    db.prepare(`SELECT (SELECT COUNT(*) FROM persons) AS persons, (SELECT COUNT(*) FROM identifiers) AS identifiers,
      (SELECT COUNT(*) FROM journal) AS journal_entries, (SELECT COUNT(*) FROM shared_identifiers) AS shared_identifiers`),
  ]);
  return { counters: Object.fromEntries(counters.results.map((r) => [r.name, r.value])), ...sizes.results[0] };
}
