// The server container as a Cloudflare Worker (wrangler.toml next to this file). Everything is
// the package's: createContainer routes, parses GA4 hits, answers with the cookies, and runs the
// tags after the response through ctx.waitUntil.
//
// Bindings: CONTAINER_CONFIG (the container config as JSON text: {"tags": [...],
// "allowedOrigins": [...]}), secrets META_ACCESS_TOKEN, IDENTITY_TOKEN, METRICS_TOKEN,
// DASHBOARD_TOKEN, and
// ALLOWED_ORIGINS to override the config's list.
import { createContainer } from "omni-meta-capi";

let container; // one per isolate: its tags keep their counters and identity cache across requests

export default {
  fetch(request, env, ctx) {
    if (!container) {
      container = createContainer(env.CONTAINER_CONFIG ?? "", env);
      // A Worker has no startup log: the isolate's first request logs what is wrong.
      for (const e of container.report.errors) console.error(`omni-meta-capi config error ${e.field}: ${e.message}`);
      for (const w of container.report.warnings) console.warn(`omni-meta-capi config warning ${w.field}: ${w.message}`);
    }
    const remoteAddress = request.headers.get("cf-connecting-ip") ?? undefined;
    return container.fetch(request, { waitUntil: (promise) => ctx.waitUntil(promise), remoteAddress });
  },
};
