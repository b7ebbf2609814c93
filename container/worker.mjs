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
    container ??= createContainer(env.CONTAINER_CONFIG ?? "", env);
    const remoteAddress = request.headers.get("cf-connecting-ip") ?? undefined;
    return container.fetch(request, { waitUntil: (promise) => ctx.waitUntil(promise), remoteAddress });
  },
};
