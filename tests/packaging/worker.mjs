// A minimal Worker that uses the package; bundled and run in workerd by workerd.test.mjs.
import { createTag, normalize, normalizeLines } from "omni-meta-capi";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/normalize") {
      const input = await request.json();
      const results = input.map(({ field, value }) => normalize(field, value));
      return Response.json({ runtime: navigator.userAgent === "Cloudflare-Workers" ? "workerd" : navigator.userAgent, results });
    }
    if (url.pathname === "/lines") return Response.json(normalizeLines(await request.text(), 1));
    if (url.pathname === "/run") {
      const { config, event, context } = await request.json();
      const logs = [];
      const out = await createTag(config).run(event, context, { log: (r) => logs.push(r) });
      return Response.json({ ...out, printed: logs.length });
    }
    if (url.pathname === "/build") {
      const { config, event, context, now } = await request.json();
      return Response.json(createTag(config).build(event, context, { now }));
    }
    return new Response("not found", { status: 404 });
  },
};
