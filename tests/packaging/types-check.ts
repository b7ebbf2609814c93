// Compiled (not run) by types.test.mjs with tsc --strict: the published declarations must type
// real usage, and reject obvious misuse.
import { createTag, createContainer, doctor, normalize, hashUserDataBatch, type TagConfig, type BuildResult } from "omni-meta-capi";
import { serve } from "omni-meta-capi/serve";

const config: TagConfig = {
  pixelId: "1234567890",
  accessToken: "token",
  actionSource: "website",
  productSchema: { type: "custom", arrayVariable: "ecommerce.items", idField: "sku" },
  consent: { requireAdStorage: true, whenMissing: "skip" },
  ldu: { enabled: true, country: 1, state: 1000 },
};
const tag = createTag(config);
const ok: boolean = tag.configReport.valid;
const out: BuildResult = tag.build({ event_name: "purchase" }, { url: "https://x.com/", cookies: "_fbp=fb.1.1.1" }, { now: new Date() });
const body: string | undefined = out.requests[0]?.body;
const status: "ready" | "invalid" | "skipped" = out.status;
const header: string | undefined = out.cookies[0]?.header;
const hash = normalize("em", "a@b.co");
const batch = hashUserDataBatch([{ em: "a@b.co", ph: 6505551212 }]);

// @ts-expect-error: actionSource must be one of Meta's values
createTag({ pixelId: "1", actionSource: "web" });

const container = createContainer({ tags: [{ name: "main", ...config }], allowedOrigins: ["https://www.example.com"] }, { META_ACCESS_TOKEN: "t" });
const answer: Promise<Response> = container.fetch(new Request("https://x.com/healthz"));
const started = serve({ config: { tags: [config] }, port: 0 }).then((s) => s.close());
const durable = serve({
  config: { tags: [config], eventTokens: ["a-long-backend-token"], trustProxy: true, rateLimit: { perMinute: 600, backend: { burst: 5000 } }, queue: { maxEvents: 1000, synchronous: "full" } },
  port: 0,
  queue: "outbox.db",
}).then((s) => s.container.backlog());
const delivered: Promise<Array<"delivered" | "retry" | "dead" | "skipped">> = tag
  .deliver([{ event: "{}", request: "{}", attempts: 0, receivedAt: Date.now() }])
  .then((rs) => rs.map((r) => r.action));
// @ts-expect-error: eventAuth is "required" or "none"
createContainer({ tags: [config], eventAuth: "open" });

const checked: Promise<boolean> = doctor(config).then((r) => r.ok && r.checks.every((c) => c.status !== "fail"));

// @ts-expect-error: tags must be a list
createContainer({ tags: config });

export { ok, body, status, header, hash, batch, answer, started, checked, durable, delivered };
