// The installed package bundled for browsers as the README says, then run in headless Chromium:
// esbuild (the `omni-meta-capi/web` entry with the .wasm through the file loader) and Vite
// (the main entry: Vite follows `new URL("x.wasm", import.meta.url)`). Each page must fetch
// the .wasm with 200 and hash in the browser exactly as Node does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, normalize as normalizePath } from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";
import { chromium } from "playwright-core";
import { normalize } from "omni-meta-capi";

const root = fileURLToPath(new URL("./bundled/", import.meta.url));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm" };
const APP = (setup) => `${setup}
const tag = createTag({ pixelId: "1234567890", accessToken: "token", actionSource: "website" });
const built = tag.build({ event_name: "purchase", value: 10, currency: "EUR", email: "a@b.co",
  page_location: "https://shop.example.com/", user_agent: "Mozilla/5.0" }, {}, { now: 1764331200000 });
window.__result = { hash: normalize("em", " John_Smith@Gmail.com").hash, status: built.status };
`;
let server;
let browser;
let base;

before(async () => {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const file = normalizePath(join(root, path.endsWith("/") ? `${path}index.html` : path));
    if (!file.startsWith(root)) return res.writeHead(403).end();
    let body;
    try {
      body = await readFile(file);
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** Open a bundled page; its result and every .wasm response status. */
async function open(path) {
  const page = await browser.newPage();
  const wasm = [];
  const failed = [];
  page.on("response", (r) => {
    if (r.url().endsWith(".wasm")) wasm.push(r.status());
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${base}${path}`);
  await page.waitForFunction(() => window.__result !== undefined || document.title === "failed", null, { timeout: 20_000 }).catch(() => {});
  const result = await page.evaluate(() => window.__result);
  await page.close();
  return { result, wasm, failed, errors };
}

function check({ result, wasm, failed, errors }) {
  assert.deepEqual(failed, [], "no 404");
  assert.deepEqual(errors, []);
  assert.deepEqual(wasm, [200], "the .wasm was found");
  assert.equal(result.hash, normalize("em", " John_Smith@Gmail.com").hash);
  assert.equal(result.status, "ready");
}

test("esbuild: omni-meta-capi/web with the .wasm through the file loader", async () => {
  const dir = join(root, "esbuild");
  mkdirSync(dir, { recursive: true });
  const entry = join(fileURLToPath(new URL(".", import.meta.url)), "esbuild-app.mjs");
  writeFileSync(entry, APP(`import { load } from "omni-meta-capi/web";
import wasmUrl from "omni-meta-capi/wasm";
const { createTag, normalize } = await load(new URL(wasmUrl, import.meta.url));`));
  await esbuild({
    entryPoints: [entry], bundle: true, format: "esm", platform: "browser", target: "es2022",
    loader: { ".wasm": "file" }, outdir: dir, entryNames: "app", logLevel: "error",
  });
  writeFileSync(join(dir, "index.html"), `<!doctype html><script type="module" src="./app.js"></script>`);
  check(await open("/esbuild/"));
});

test("Vite: the main entry, vite build with target es2022", async () => {
  const { build } = await import("vite");
  const project = join(fileURLToPath(new URL(".", import.meta.url)), "vite-app");
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "main.js"), APP(`import { createTag, normalize } from "omni-meta-capi";`));
  writeFileSync(join(project, "index.html"), `<!doctype html><script type="module" src="./main.js"></script>`);
  await build({
    root: project, base: "./", logLevel: "error", configFile: false,
    build: { target: "es2022", outDir: join(root, "vite"), emptyOutDir: true },
  });
  check(await open("/vite/"));
});
