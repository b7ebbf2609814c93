// A minimal Worker that uses the package; bundled and run in workerd by workerd.test.mjs.
import { normalize, normalizeLines } from "omni-meta-capi";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/normalize") {
      const input = await request.json();
      const results = input.map(({ field, value }) => normalize(field, value));
      return Response.json({ runtime: navigator.userAgent === "Cloudflare-Workers" ? "workerd" : navigator.userAgent, results });
    }
    if (url.pathname === "/lines") return Response.json(normalizeLines(await request.text(), 1));
    return new Response("not found", { status: 404 });
  },
};
