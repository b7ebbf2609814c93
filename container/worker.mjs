// The server container as a Cloudflare Worker (wrangler.toml next to this file). Everything is
// the package's: createContainer routes, parses GA4 hits, answers with the cookies, and either
// sends the accepted events to the EVENTS_QUEUE binding before answering (durable: the queue()
// handler below delivers them) or, without that binding, runs the tags after the response
// through ctx.waitUntil (best effort).
//
// Bindings: CONTAINER_CONFIG (the container config as JSON text: {"tags": [...],
// "allowedOrigins": [...]}), secrets META_ACCESS_TOKEN, IDENTITY_TOKEN, METRICS_TOKEN,
// DASHBOARD_TOKEN, EVENT_TOKENS, and ALLOWED_ORIGINS to override the config's list. Queues
// (optional): EVENTS_QUEUE and DEAD_LETTERS producers, DEAD_LETTER_QUEUE_NAME (a var). MONITOR
// (optional): the MonitorHistory Durable Object, for a dashboard history every isolate adds to.
import { createContainer, durableObjectHistory, MonitorHistory } from "omni-meta-capi";

// The Durable Object that keeps the monitoring history of every isolate (wrangler.toml: MONITOR).
export { MonitorHistory };

let container; // one per isolate: its tags keep their counters and identity cache across requests

function get(env) {
  if (!container) {
    container = createContainer(env.CONTAINER_CONFIG ?? "", env, {
      eventsQueue: env.EVENTS_QUEUE,
      deadLetters: env.DEAD_LETTERS,
      history: env.MONITOR ? durableObjectHistory(env.MONITOR) : undefined,
    });
    // A Worker has no startup log: the isolate's first request logs what is wrong.
    for (const e of container.report.errors) console.error(`omni-meta-capi config error ${e.field}: ${e.message}`);
    for (const w of container.report.warnings) console.warn(`omni-meta-capi config warning ${w.field}: ${w.message}`);
  }
  return container;
}

export default {
  // Cron Trigger (wrangler.toml): alerts (an event gone silent needs a clock, not a request).
  scheduled(controller, env, ctx) {
    ctx.waitUntil(get(env).checkAlerts());
  },

  fetch(request, env, ctx) {
    const remoteAddress = request.headers.get("cf-connecting-ip") ?? undefined;
    return get(env).fetch(request, { waitUntil: (promise) => ctx.waitUntil(promise), remoteAddress });
  },

  async queue(batch, env, ctx) {
    if (batch.queue === env.DEAD_LETTER_QUEUE_NAME) {
      // Dead letters are for an operator, not for this Worker: delivering them from here would go
      // round in a loop (dead -> DEAD_LETTERS -> here -> dead ...) and hammer Meta. Acking would
      // lose them, so they are put back for the longest delay Queues allows; remove this Worker's
      // consumer of that queue (wrangler.toml) to keep them.
      console.error(`omni-meta-capi: this Worker consumes its dead-letter queue "${batch.queue}"; remove that [[queues.consumers]] entry`);
      batch.retryAll({ delaySeconds: 43200 });
      return;
    }
    await get(env).consume(batch, { waitUntil: (promise) => ctx.waitUntil(promise) });
  },
};
