// Stitching: POST /api/v1/identifier. Which person a request's identifiers belong to, what it may
// join or merge, and which journal entries it may read back, weighed by trust (identity/README.md,
// "Trust and the threat model"). Everything of one request is ONE D1 batch, a single SQLite
// transaction, with the decisions made in SQL inside it, so concurrent requests serialize on
// the database and behave as if they ran one after another.
import { normalize } from "omni-meta-capi";
import { HttpError, badParameter, optionalString, trimmed } from "./http.mjs";
import { sql, join, prepare } from "./sql.mjs";

/** Trust levels, weakest first: what stands behind a link. */
export const TRUST = { browser: 0, user_id: 1, server: 2 };
export const JOURNAL_READ_LIMIT = 50;
export const MAX_JOURNAL_ENTRY = 8 * 1024;
const PAYLOAD_FIELDS = ["anonymous_id", "platform", "email", "phone", "fbclid", "gaclid", "valuation_properties"];

/** An email as the package normalizes it, or null when blank; 400 naming `field` when unusable. */
export function normalizedEmail(body, field = "email") {
  const raw = optionalString(body, field);
  if (raw === undefined || raw.trim() === "") return null;
  const em = normalize("em", raw).normalized;
  if (!em) throw badParameter(`${field} is not a valid email address`);
  return em;
}

/** A phone as the package normalizes it, or null (blank or unusable: not matched on). */
export function normalizedPhone(body, field = "phone") {
  const raw = optionalString(body, field);
  if (raw === undefined || raw.trim() === "") return null;
  return normalize("ph", raw).normalized || null;
}

/** Validates the body: { ids: [[kind, value]], anon, userId, email, phone, claimed, payload, countMode }. */
export function parseIdentifierRequest(body, policy) {
  const anon = trimmed(body, "anonymous_id");
  const email = normalizedEmail(body);
  const phone = normalizedPhone(body);
  const userId = trimmed(body, "user_id");
  for (const f of ["platform", "fbclid", "gaclid"]) optionalString(body, f);
  const vp = body.valuation_properties;
  if (vp !== undefined && vp !== null && (typeof vp !== "object" || Array.isArray(vp))) throw badParameter("valuation_properties must be an object");
  const cpv = body.count_prev_visits;
  if (cpv !== undefined && typeof cpv !== "boolean") throw badParameter("count_prev_visits must be a boolean");
  const trust = optionalString(body, "trust");
  if (trust !== undefined && trust !== "browser" && trust !== "server") throw badParameter('trust must be "browser" or "server"');
  if (anon === null && email === null) throw new HttpError(400, "MISSING_IDENTIFIER", "one of anonymous_id or email is required");

  const ids = [["anonymous_id", anon], ["email", email], ["phone", phone], ["user_id", userId]].filter(([, v]) => v !== null);
  const payload = {};
  for (const f of PAYLOAD_FIELDS) if (body[f] !== undefined && body[f] !== null) payload[f] = body[f];
  const payloadText = JSON.stringify(payload);
  const size = new TextEncoder().encode(payloadText).byteLength;
  if (size > MAX_JOURNAL_ENTRY) {
    throw new HttpError(413, "PAYLOAD_TOO_LARGE", `the journal entry would be ${size} bytes, over ${MAX_JOURNAL_ENTRY}: shorten valuation_properties`);
  }
  const claimed = trust === undefined ? policy.defaultTrust : TRUST[trust];
  return { ids, anon, userId, email, phone, claimed, payloadText, countMode: cpv !== undefined };
}

/**
 * One request's batch. In SQL terms (i = identifiers rows):
 * - `usable`: the request's identifiers, except emails/phones flagged shared;
 * - `joinable`: the rows whose persons the request may join. A request at mergeMinTrust or more
 *   follows every trusted link (an anonymous id, or an email/phone/user_id linked at
 *   mergeMinTrust or more), except that one proven by its user_id (user_id level) follows only
 *   its anonymous id and that user_id; below mergeMinTrust, only its own anonymous id (without
 *   one: the trusted links, never merging). MERGE_MIN_TRUST=browser is the pre-trust behaviour;
 * - the oldest joinable person wins; the others merge into it when the trust allows;
 * - reads: a request sees its own journal entries, and, when trusted, those of trusted writers.
 */
export async function identify(db, request, policy) {
  const { ids, anon, userId, email, phone, claimed, payloadText, countMode } = request;
  const req = crypto.randomUUID();
  const candidate = crypto.randomUUID();
  const now = new Date().toISOString();
  const { mergeMinTrust: mergeMin, fillMinTrust: fillMin } = policy;

  const st = sql`(SELECT trust FROM request_state WHERE req_id = ${req})`;
  const W = sql`(SELECT winner FROM request_state WHERE req_id = ${req})`;
  const match = join(ids.map(([k, v]) => sql`(i.kind = ${k} AND i.value = ${v})`), " OR ");
  const usable = sql`(${match}) AND NOT EXISTS (SELECT 1 FROM shared_identifiers s WHERE s.kind = i.kind AND s.value = i.value)`;
  const ownAnon = sql`(i.kind = 'anonymous_id' AND i.value = ${anon})`;
  const trustedLinks = sql`(${usable} AND (i.kind = 'anonymous_id' OR i.trust >= ${mergeMin}))`;
  const provenUser = sql`(i.kind = 'user_id' AND i.value = ${userId} AND i.trust >= ${TRUST.server})`;
  const joinable = sql`(CASE WHEN ${st} >= ${mergeMin} AND ${st} <> ${TRUST.user_id} THEN ${trustedLinks}
    WHEN ${st} >= ${mergeMin} THEN (${ownAnon} OR ${provenUser})
    WHEN ${anon} IS NULL THEN ${trustedLinks} ELSE ${ownAnon} END)`;
  // Only a server request vouches for an email/phone/user_id link; an anonymous id gets the
  // request's own level (a user_id-proven browser is trusted as that user's).
  const linkTrust = (kind) => sql`(CASE WHEN ${kind} = 'anonymous_id' OR ${st} >= ${TRUST.server} THEN ${st} ELSE ${TRUST.browser} END)`;
  const readerTrusted = sql`(${st} >= ${fillMin} OR EXISTS (SELECT 1 FROM identifiers i WHERE ${ownAnon} AND i.person_uuid = ${W} AND i.trust >= ${fillMin}))`;

  const q = [
    ...guardStatements(ids, anon, now, policy),
    sql`INSERT INTO request_state (req_id, trust) VALUES (${req}, CASE WHEN ${claimed} >= ${TRUST.server} THEN ${TRUST.server}
      WHEN EXISTS (SELECT 1 FROM identifiers i WHERE ${provenUser}) THEN ${TRUST.user_id} ELSE ${TRUST.browser} END)`,
    // 1. a new person only when there is nobody to join
    sql`INSERT INTO persons (uuid, created_at) SELECT ${candidate}, ${now} WHERE NOT EXISTS (SELECT 1 FROM identifiers i WHERE ${joinable})`,
    // 2. the winner: the oldest joinable person (or the new one)
    sql`UPDATE request_state SET winner = (SELECT p.uuid FROM persons p WHERE p.uuid IN
      (SELECT i.person_uuid FROM identifiers i WHERE ${joinable} UNION ALL SELECT ${candidate}) ORDER BY p.created_at, p.uuid LIMIT 1)
      WHERE req_id = ${req}`,
    // 3. the other joinable persons merge into it, when the request's trust allows merging
    sql`INSERT INTO request_losers (req_id, uuid) SELECT DISTINCT ${req}, i.person_uuid FROM identifiers i
      WHERE ${joinable} AND i.person_uuid <> ${W} AND ${st} >= ${mergeMin}`,
    ...mergeStatements(req, W, now),
    // 4. a server request takes over emails/phones/user_ids held elsewhere only as browser claims
    sql`UPDATE identifiers AS i SET person_uuid = ${W}, trust = ${st}, last_seen_at = ${now}
      WHERE ${usable} AND i.kind <> 'anonymous_id' AND i.trust < ${mergeMin} AND i.person_uuid <> ${W} AND ${st} >= ${TRUST.server}`,
    // 5. unknown identifiers are linked to the winner; known ones of the winner gain trust
    ...ids.map(([kind, value]) =>
      sql`INSERT INTO identifiers (kind, value, person_uuid, created_at, trust, last_seen_at)
        SELECT ${kind}, ${value}, winner, ${now}, ${linkTrust(kind)}, ${now} FROM request_state WHERE req_id = ${req}
        AND NOT EXISTS (SELECT 1 FROM shared_identifiers s WHERE s.kind = ${kind} AND s.value = ${value})
        ON CONFLICT (kind, value) DO NOTHING`,
    ),
    sql`UPDATE identifiers AS i SET trust = MAX(i.trust, ${linkTrust(sql`i.kind`)}), last_seen_at = ${now} WHERE ${usable} AND i.person_uuid = ${W}`,
    // links refused: the request's identifiers that stay with another person
    sql`UPDATE counters SET value = value + (SELECT COUNT(DISTINCT i.person_uuid) FROM identifiers i WHERE ${usable} AND i.person_uuid <> ${W})
      WHERE name = 'links_refused'`,
  ].map((s) => prepare(db, s));

  const readIndex = q.length;
  q.push(
    prepare(db, sql`SELECT ${W} AS uuid, (SELECT COUNT(*) FROM journal WHERE person_uuid = ${W}) AS prev, COALESCE(
      CASE WHEN ${readerTrusted} THEN (SELECT value FROM identifiers WHERE person_uuid = ${W} AND kind = 'email' AND trust >= ${fillMin}
        ORDER BY created_at DESC, rowid DESC LIMIT 1) END,
      (SELECT email FROM journal WHERE person_uuid = ${W} AND anonymous_id = ${anon} AND email IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT 1),
      '') AS email`),
  );
  const journalIndex = q.length;
  if (countMode) {
    // Only the visit (count mode) is journaled: a tag that also retrieves the journal for the
    // same event must not count two visits.
    q.push(prepare(db, sql`INSERT INTO journal (person_uuid, payload, created_at, anonymous_id, email, phone, trust)
      SELECT winner, ${payloadText}, ${now}, ${anon}, ${email}, ${phone}, trust FROM request_state WHERE req_id = ${req}`));
  } else {
    const trustedWriter = sql`(j.trust >= ${fillMin} OR EXISTS (SELECT 1 FROM identifiers a WHERE a.kind = 'anonymous_id'
      AND a.value = j.anonymous_id AND a.person_uuid = j.person_uuid AND a.trust >= ${fillMin}))`;
    q.push(prepare(db, sql`SELECT j.payload, j.created_at FROM journal j WHERE j.person_uuid = ${W}
      AND (j.anonymous_id = ${anon} OR (${readerTrusted} AND ${trustedWriter}))
      ORDER BY j.created_at DESC, j.id DESC LIMIT ${JOURNAL_READ_LIMIT}`));
  }
  q.push(
    prepare(db, sql`DELETE FROM request_losers WHERE req_id = ${req}`),
    prepare(db, sql`DELETE FROM request_state WHERE req_id = ${req}`),
  );

  const results = await db.batch(q);
  await reportShared(db, results.slice(0, guardCount(ids, anon)));
  const row = results[readIndex].results[0];
  if (!row || !row.uuid) throw new Error("identity: no winner resolved");
  if (countMode) return { uuid: row.uuid, email: row.email, count_prev_visits: row.prev };
  const journal = results[journalIndex].results.map((r) => ({ ...JSON.parse(r.payload), created_at: r.created_at }));
  return { uuid: row.uuid, journal };
}

// Merging the losers into the winner W: aliases (chains collapse to live persons), identifiers
// and journal re-pointed, loser rows deleted.
function mergeStatements(req, W, now) {
  const LOSERS = sql`(SELECT uuid FROM request_losers WHERE req_id = ${req})`;
  return [
    sql`INSERT INTO aliases (alias_uuid, person_uuid, merged_at) SELECT uuid, ${W}, ${now} FROM request_losers WHERE req_id = ${req}
      ON CONFLICT (alias_uuid) DO UPDATE SET person_uuid = excluded.person_uuid`,
    sql`UPDATE aliases SET person_uuid = ${W} WHERE person_uuid IN ${LOSERS}`,
    sql`UPDATE identifiers SET person_uuid = ${W} WHERE person_uuid IN ${LOSERS}`,
    sql`UPDATE journal SET person_uuid = ${W} WHERE person_uuid IN ${LOSERS}`,
    sql`DELETE FROM persons WHERE uuid IN ${LOSERS}`,
  ];
}

// The shared-identifier guard: each email/phone remembers the anonymous ids seen with it within
// the window; past sharedMaxAnonymousIds it is flagged shared and no longer joins anyone.
const GUARDED = ["email", "phone"];
const guardCount = (ids, anon) => (anon === null ? 0 : ids.filter(([k]) => GUARDED.includes(k)).length * 4);

function guardStatements(ids, anon, now, policy) {
  if (anon === null) return [];
  const since = new Date(Date.parse(now) - policy.sharedWindowDays * 86_400_000).toISOString();
  return ids
    .filter(([kind]) => GUARDED.includes(kind))
    .flatMap(([kind, value]) => {
      const flagged = sql`EXISTS (SELECT 1 FROM shared_identifiers WHERE kind = ${kind} AND value = ${value})`;
      return [
        sql`DELETE FROM sightings WHERE kind = ${kind} AND value = ${value} AND seen_at < ${since}`,
        sql`INSERT INTO sightings (kind, value, anonymous_id, seen_at) SELECT ${kind}, ${value}, ${anon}, ${now} WHERE NOT ${flagged}
          ON CONFLICT (kind, value, anonymous_id) DO UPDATE SET seen_at = excluded.seen_at`,
        sql`INSERT INTO shared_identifiers (kind, value, anonymous_ids, flagged_at) SELECT kind, value, COUNT(*), ${now} FROM sightings
          WHERE kind = ${kind} AND value = ${value} GROUP BY kind, value HAVING COUNT(*) > ${policy.sharedMaxAnonymousIds}
          ON CONFLICT (kind, value) DO NOTHING RETURNING kind, anonymous_ids`,
        sql`DELETE FROM sightings WHERE kind = ${kind} AND value = ${value} AND ${flagged}`,
      ];
    });
}

// Never silent: a newly flagged identifier is logged (its kind and count, never its value) and
// counted (GET /api/v1/stats).
async function reportShared(db, guardResults) {
  const flagged = guardResults.flatMap((r) => r.results ?? []).filter((r) => r && r.anonymous_ids !== undefined);
  for (const f of flagged) {
    console.warn(`identity: an ${f.kind} seen with ${f.anonymous_ids} anonymous ids is now flagged shared: no longer used to join persons`);
  }
  if (flagged.length) await db.prepare("UPDATE counters SET value = value + ?1 WHERE name = 'shared_flagged'").bind(flagged.length).run();
}

// GET /api/v1/person/<uuid>: the live uuid for a person or a merged (alias) uuid.
export async function resolvePerson(db, uuid) {
  const row = await db
    .prepare("SELECT uuid, 0 AS merged FROM persons WHERE uuid = ?1 UNION ALL SELECT person_uuid AS uuid, 1 AS merged FROM aliases WHERE alias_uuid = ?1 LIMIT 1")
    .bind(uuid)
    .first();
  if (!row) throw new HttpError(404, "NOT_FOUND", "unknown uuid");
  const aliases = await db.prepare("SELECT alias_uuid FROM aliases WHERE person_uuid = ?1 ORDER BY merged_at, alias_uuid").bind(row.uuid).all();
  return { uuid: row.uuid, requested: uuid, merged: row.merged === 1, aliases: aliases.results.map((r) => r.alias_uuid) };
}
