// Durable delivery's host side, for the two queues the container can use: the Node outbox
// (SQLite, drained by a sender loop in this process) and Cloudflare Queues (drained by the
// Worker's queue() consumer). Both hand batches of queued events to `tag.deliver`, which tries
// them once and returns the wasm's decision per event; here those decisions are only applied:
// a row deleted, rescheduled or dead-lettered; a message acked, retried or sent to the dead
// letters. No retry, classification or logging logic lives here.

/** Most events in one delivery (Meta's per-request limit). */
export const BATCH = 1000;

/** A queued row or message body as `tag.deliver` takes it. */
function item(body, attempts) {
  return {
    event: body.event,
    request: body.request,
    attempts,
    receivedAt: body.receivedAt,
    eventId: body.eventId,
    eventName: body.eventName,
  };
}

/** One row/message per event and tag: what ingestion commits before answering 2xx. */
export function queuedRows(tags, out, receivedAt) {
  const request = JSON.stringify(out.request);
  const rows = [];
  for (const { name } of tags) {
    out.events.forEach((event, i) => {
      const [eventId, eventName] = out.ids[i] ?? [];
      rows.push({ tag: name, eventId, eventName, event: JSON.stringify(event), request, receivedAt });
    });
  }
  return rows;
}

/**
 * The Node outbox's sender: drains due events, each tag's in batches of up to 1,000, as long as
 * there are any; sleeps until the next is due (at most a second, so that a `queue retry` from
 * another process is noticed) or until `wake()` (new events). `stop()` finishes the batch in
 * hand and returns; what is left stays in the outbox for the next start.
 */
export function createSender({ outbox, tags, policy, runOptions = {}, onError = () => {} }) {
  let stopped = false;
  let timer = null;
  let wakeUp = null;

  async function drainTag({ name, tag }) {
    while (!stopped) {
      const rows = outbox.due(name, Date.now(), BATCH);
      if (!rows.length) return;
      const results = await tag.deliver(
        rows.map((r) => item(r, r.attempts)),
        { ...runOptions, policy },
      );
      outbox.settle(rows, results);
    }
  }

  function sleep() {
    const next = outbox.nextDueAt();
    const wait = next === null ? 1000 : Math.min(Math.max(next - Date.now(), 0), 1000);
    return new Promise((resolve) => {
      wakeUp = resolve;
      timer = setTimeout(resolve, wait);
    });
  }

  const running = (async () => {
    try {
      outbox.buryOrphans(tags.map((t) => t.name));
    } catch (e) {
      onError(e);
    }
    while (!stopped) {
      try {
        await Promise.all(tags.map(drainTag));
        outbox.refresh();
      } catch (e) {
        // Storage trouble (disk full, a locked file): the events stay where they are.
        onError(e);
      }
      if (!stopped) await sleep();
    }
  })();

  return {
    wake: () => wakeUp?.(),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wakeUp?.();
      await running;
    },
  };
}

/**
 * The Worker's queue() consumer: each message is one event of one tag. Delivered and skipped
 * events are acked; transient failures retried with the wasm's delay; dead ones sent, with
 * their reason, to the `deadLetters` queue (then acked), or without one retried until the
 * queue's own max_retries moves them to its dead-letter queue.
 */
export async function consumeBatch(batch, tags, { deadLetters, policy, runOptions = {} }) {
  const byTag = new Map();
  for (const msg of batch.messages) {
    const list = byTag.get(msg.body?.tag) ?? [];
    list.push(msg);
    byTag.set(msg.body?.tag, list);
  }
  const now = Date.now();
  await Promise.all(
    [...byTag].map(async ([name, messages]) => {
      const found = tags.find((t) => t.name === name);
      if (!found) return Promise.all(messages.map((m) => bury(m, `no tag named "${name}" in the container config`)));
      const results = await found.tag.deliver(
        messages.map((m) => item(m.body, Math.max(0, (m.attempts ?? 1) - 1))),
        { ...runOptions, policy },
      );
      return Promise.all(messages.map((m, i) => apply(m, results[i])));
    }),
  );

  async function apply(msg, r) {
    if (!r || r.action === "retry") {
      const delaySeconds = Math.min(Math.max(Math.ceil(((r?.retryAt ?? now) - now) / 1000), 0), 43200);
      return msg.retry({ delaySeconds });
    }
    if (r.action === "dead") return bury(msg, r.reason);
    return msg.ack();
  }

  async function bury(msg, reason) {
    if (!deadLetters) return msg.retry();
    // JSON, so that an operator can read dead letters with an HTTP pull consumer or the dashboard
    // (neither decodes the default v8 serialization).
    await deadLetters.send({ ...msg.body, reason, attempts: msg.attempts, deadAt: now }, { contentType: "json" });
    msg.ack();
  }
}
