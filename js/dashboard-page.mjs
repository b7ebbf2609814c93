// The page served at GET /dashboard: one self-contained HTML document (inline CSS and JS, no
// external assets), exported as a string because Workers cannot read files. It polls
// /dashboard/data (same origin, the browser re-sends its Basic credentials) every 5 seconds and
// renders aggregate counters only; every data value reaches the DOM through textContent.
// The page script deliberately contains no backticks, no dollar-brace and no backslashes, so
// this template literal is the page byte for byte.

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'">
<link rel="icon" href="data:,">
<title>omni-meta-capi dashboard</title>
<style>
:root{--bg:#f4f5f7;--card:#fff;--fg:#1b2330;--muted:#5a6473;--line:#e2e6eb;--ok:#1f8a5b;--warn:#c07a00;--bad:#c8372d;--ghost:#d6e0ee;--accent:#2f5fd0}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{display:flex;flex-wrap:wrap;gap:10px 20px;align-items:center;justify-content:space-between;padding:12px 24px;background:var(--card);border-bottom:1px solid var(--line)}
h1{font-size:17px;margin:0;font-weight:650}h1 small{font-weight:400;color:var(--muted);font-size:13px;margin-left:8px}
.controls{display:flex;flex-wrap:wrap;gap:8px 18px;align-items:center;color:var(--muted);font-size:13px}
select{font:inherit;color:var(--fg);padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:#fff}
.banner{padding:10px 14px;border-radius:8px;background:#fdecea;color:#8a1c12;border:1px solid #f3c1bb;font-weight:500}
main{max-width:1280px;margin:0 auto;padding:16px 24px 8px;display:grid;gap:16px}
.tiles{display:grid;grid-template-columns:repeat(2,1fr);gap:12px}
@media (min-width:760px){.tiles{grid-template-columns:repeat(4,1fr)}.span2{grid-column:span 2}.full{grid-column:1/-1}}
.tile,.card{background:var(--card);border:1px solid var(--line);border-radius:10px;min-width:0}
.tile{padding:11px 14px}.tile .l{color:var(--muted);font-size:12px}.tile .v{display:block;font-size:25px;font-weight:650;font-variant-numeric:tabular-nums;margin-top:2px}
.tile .s{color:var(--muted);font-size:12px}
.tile.ok .v{color:var(--ok)}.tile.bad .v{color:var(--bad)}.tile.warn .v{color:var(--warn)}
.card{padding:14px 16px}h2{font-size:14px;margin:0 0 10px;font-weight:650}.note{color:var(--muted);font-size:12px;margin:8px 0 0}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(330px,1fr));gap:16px}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
tr:last-child td{border-bottom:0}th{font-size:12px;color:var(--muted);font-weight:600}
.n{text-align:right;white-space:nowrap}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.msg{overflow-wrap:anywhere;color:#2d3642}.nw{white-space:nowrap}.empty{color:var(--muted);font-style:italic}.hint{color:var(--muted);font-size:12px}
svg{display:block;width:100%;height:auto}svg text{font-size:11px;fill:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;color:var(--muted);font-size:12px;margin-top:6px}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.obar{display:flex;height:20px;border-radius:6px;overflow:hidden;background:var(--line)}
.obar div{height:100%;min-width:0}.kv{display:grid;grid-template-columns:auto 1fr;gap:4px 16px;margin:10px 0 0}
.kv dt{color:var(--muted)}.kv dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}
.cov{display:grid;grid-template-columns:minmax(120px,auto) 1fr 52px;gap:6px 10px;align-items:center}
.track{height:10px;background:var(--line);border-radius:5px;overflow:hidden}.fill{height:100%;background:var(--accent);border-radius:5px}
.hhead{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:baseline;justify-content:space-between}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:11.5px;font-weight:600;background:var(--line);color:var(--fg)}
.badge.test{background:#fff1cc;color:#7a4d00}.badge.poor{background:#fdecea;color:#8a1c12}.badge.ok{background:#fff1cc;color:#7a4d00}.badge.good{background:#e3f1ff;color:#1b4c8a}.badge.great{background:#e2f5ea;color:#146342}
.badge.accepted{background:#e2f5ea;color:#146342}.badge.rejected{background:#fff1cc;color:#7a4d00}.badge.failed,.badge.unconfirmed{background:#fdecea;color:#8a1c12}
h2.section{font-size:15px;margin:8px 0 -4px}.scroll{overflow-x:auto}tr.pick{cursor:pointer}tr.picked td{background:#eef3fd}
footer{max-width:1280px;margin:0 auto;padding:8px 24px 24px;color:var(--muted);font-size:12px}
</style>
</head>
<body>
<header>
  <h1>omni-meta-capi<small>Meta Conversions API &middot; server container</small></h1>
  <div class="controls">
    <label>Tag <select id="tag" data-testid="tag-select"><option value="">All tags (combined)</option></select></label>
    <span>Updated <time id="last-updated" data-testid="last-updated">&ndash;</time></span>
  </div>
</header>
<main>
  <div id="banner" class="banner" data-testid="error-banner" role="alert" hidden></div>
  <section class="card" aria-label="History">
    <div class="hhead"><h2>Events, all instances <span class="hint" id="h-scope" data-testid="history-scope"></span></h2>
      <label class="hint">Range <select id="range" data-testid="range-select"><option value="1h">last hour (per minute)</option><option value="24h" selected>last 24 hours (per hour)</option><option value="7d">last 7 days (per 6 hours)</option></select></label></div>
    <div class="tiles">
      <div class="tile"><span class="l">Received</span><span class="v" id="h-received" data-testid="h-received">&ndash;</span><span class="s">skipped <span id="h-skipped" data-testid="h-skipped">&ndash;</span>, invalid <span id="h-invalid" data-testid="h-invalid">&ndash;</span></span></div>
      <div class="tile ok"><span class="l">Accepted by Meta</span><span class="v" id="h-accepted" data-testid="h-accepted">&ndash;</span></div>
      <div class="tile warn"><span class="l">Rejected by Meta</span><span class="v" id="h-rejected" data-testid="h-rejected">&ndash;</span><span class="s">error rate <span id="h-error-rate" data-testid="h-error-rate">&ndash;</span></span></div>
      <div class="tile bad"><span class="l">Failed</span><span class="v" id="h-failed" data-testid="h-failed">&ndash;</span><span class="s">+ <span id="h-unconfirmed" data-testid="h-unconfirmed">&ndash;</span> unconfirmed</span></div>
    </div>
    <div id="event-chart" data-testid="event-chart" style="margin-top:12px"></div>
    <div class="legend" id="event-legend"></div>
  </section>
  <div class="grid">
    <section class="card span2"><h2>By event name</h2><div class="scroll"><table><thead><tr><th>event</th><th class="n">received</th><th class="n">accepted</th><th class="n">rejected</th><th class="n">failed</th><th class="n">unconfirmed</th></tr></thead><tbody id="events-body"></tbody></table></div></section>
    <section class="card"><h2>By pixel</h2><div class="scroll"><table><thead><tr><th>pixel</th><th class="n">accepted</th><th class="n">rejected</th><th class="n">failed</th><th class="n">unconfirmed</th></tr></thead><tbody id="pixels-body"></tbody></table></div></section>
    <section class="card"><h2>Deduplication with the browser pixel</h2>
      <dl class="kv"><dt>event_id from the page</dt><dd id="dedup-page" data-testid="dedup-page">&ndash;</dd><dt>event_id generated here</dt><dd id="dedup-generated" data-testid="dedup-generated">&ndash;</dd><dt>share the pixel can match</dt><dd id="dedup-share" data-testid="dedup-share">&ndash;</dd></dl>
      <p class="note">Meta deduplicates a server event against the pixel's only if both carry the same event_id: one generated here has no pixel twin.</p></section>
    <section class="card full"><h2>Tags</h2><div class="scroll"><table><thead><tr><th>tag</th><th>pixels</th><th>mode</th><th>last event</th><th>last error</th></tr></thead><tbody id="tags-body"></tbody></table></div></section>
    <section class="card full"><h2>Event Match Quality &mdash; estimate</h2>
      <div class="scroll"><table><thead><tr><th>pixel</th><th>event</th><th class="n">events</th><th class="n">estimate (0&ndash;10)</th><th>would raise it most</th></tr></thead><tbody id="emq-body"></tbody></table></div>
      <p class="note">An estimate from which customer information parameters the accepted events carried (weights in the README), not Meta's score: Events Manager shows Meta's. Pick a row for its coverage.</p></section>
    <section class="card full"><h2>Coverage of every user_data key <span class="hint" id="cov-of" data-testid="coverage-of"></span></h2><div class="cov" id="key-coverage" data-testid="key-coverage"></div></section>
    <section class="card full"><h2>Recent events</h2><div class="scroll"><table><thead><tr><th>time</th><th>event</th><th>pixel</th><th>tag</th><th>status</th><th>matching keys</th><th>fbtrace_id</th><th>Meta's message</th></tr></thead><tbody id="recent-body"></tbody></table></div></section>
    <section class="card full"><h2>Alerts</h2><ul id="alerts-list" data-testid="alerts-list"></ul></section>
  </div>
  <h2 class="section">This instance since it started <span class="hint" id="instance-note" data-testid="instance-note">(Prometheus /metrics shows the same, per instance)</span></h2>
  <section class="tiles" aria-label="Headline numbers">
    <div class="tile"><span class="l">Events received</span><span class="v" id="received" data-testid="received">&ndash;</span><span class="s">built <span id="built" data-testid="built">&ndash;</span></span></div>
    <div class="tile ok"><span class="l">Accepted by Meta</span><span class="v" id="accepted" data-testid="accepted">&ndash;</span></div>
    <div class="tile warn"><span class="l">Rejected by Meta</span><span class="v" id="rejected" data-testid="rejected">&ndash;</span></div>
    <div class="tile bad"><span class="l">Failed (network/5xx)</span><span class="v" id="failed" data-testid="failed">&ndash;</span><span class="s">+ <span id="unconfirmed" data-testid="unconfirmed">&ndash;</span> unconfirmed (timed out: Meta may have them)</span></div>
    <div class="tile"><span class="l">Skipped</span><span class="v" id="skipped" data-testid="skipped">&ndash;</span><span class="s">+ <span id="invalid" data-testid="invalid">&ndash;</span> invalid</span></div>
    <div class="tile"><span class="l">Error rate</span><span class="v" id="error-rate" data-testid="error-rate">&ndash;</span><span class="s">(rejected+failed) / sent</span></div>
    <div class="tile"><span class="l">Identity success</span><span class="v" id="identity-success" data-testid="identity-success">&ndash;</span><span class="s">resolved+cached</span></div>
    <div class="tile"><span class="l">avg. matching keys per event (EMQ proxy)</span><span class="v" id="avg-match-keys" data-testid="avg-match-keys">&ndash;</span></div>
  </section>
  <section class="card">
    <h2>Volume and error rate, last minutes</h2>
    <div id="chart" data-testid="volume-chart"></div>
    <div class="legend"><span><i class="sw" style="background:var(--ghost)"></i>received</span><span><i class="sw" style="background:var(--ok)"></i>accepted</span><span><i class="sw" style="background:var(--warn)"></i>rejected</span><span><i class="sw" style="background:var(--bad)"></i>failed</span><span><i class="sw" style="background:#7a1d14;height:3px;vertical-align:3px"></i>error rate (right axis)</span></div>
  </section>
  <div class="grid">
    <section class="card">
      <h2>Outcome at Meta</h2>
      <div class="obar" id="obar" data-testid="outcome-bar"></div>
      <div class="legend" id="olegend"></div>
      <dl class="kv"><dt>HTTP requests</dt><dd id="requests" data-testid="requests">&ndash;</dd><dt>tries</dt><dd id="tries" data-testid="tries">&ndash;</dd><dt>retries</dt><dd id="retries" data-testid="retries">&ndash;</dd></dl>
    </section>
    <section class="card" id="identity-card">
      <h2>Identity resolution</h2>
      <table><thead><tr><th>status</th><th class="n">events</th></tr></thead><tbody id="identity-body"></tbody></table>
      <dl class="kv"><dt>API calls</dt><dd id="identity-calls" data-testid="identity-calls">&ndash;</dd><dt>call failures</dt><dd id="identity-call-failures" data-testid="identity-call-failures">&ndash;</dd><dt>enriched events</dt><dd id="identity-enriched" data-testid="identity-enriched">&ndash;</dd></dl>
    </section>
    <section class="card">
      <h2>Latency (ms)</h2>
      <table><thead><tr><th>stage</th><th class="n">p50</th><th class="n">p90</th><th class="n">p99</th><th class="n">count</th></tr></thead><tbody id="latency-body"></tbody></table>
      <p class="note" id="latency-note" hidden>Combined view: percentiles are the highest of any tag.</p>
    </section>
    <section class="card full">
      <h2>Top error codes</h2>
      <table><thead><tr><th>code</th><th class="n">count</th><th>Meta's message</th></tr></thead><tbody id="errors-body"></tbody></table>
    </section>
    <section class="card">
      <h2>Not sent, by reason (skipped and invalid)</h2>
      <table><thead><tr><th>reason</th><th class="n">count</th></tr></thead><tbody id="skipped-body"></tbody></table>
    </section>
    <section class="card span2">
      <h2>Matching-key coverage (share of built events)</h2>
      <div class="cov" id="coverage"></div>
    </section>
  </div>
</main>
<footer>Counts, names and Meta's redacted messages only: no personal data. Refreshes every 5 seconds.</footer>
<script>
(function () {
  "use strict";
  var DASH = "–", SVGNS = "http://www.w3.org/2000/svg";
  var SCALARS = ["eventsReceived", "eventsBuilt", "eventsInvalid", "eventsSkipped", "eventsAccepted", "eventsRejected", "eventsFailed", "eventsUnconfirmed", "requests", "tries", "retries", "identityCalls", "identityCallFailures", "identityEnriched"];
  var MAPS = ["identityByStatus", "skippedByReason", "errorsByCode", "matchKeys"];
  var STAGES = ["build", "identity", "dispatch"];
  var KEY_NAMES = { em: "email", ph: "phone", fn: "first name", ln: "last name", ge: "gender", db: "birth date", ct: "city", st: "state", zp: "zip", country: "country", external_id: "external id", fbc: "click id", fbp: "browser id", client_ip_address: "IP address", client_user_agent: "user agent" };
  var state = { data: null, loaded: false, timer: 0 };
  var byId = function (id) { return document.getElementById(id); };
  var isNum = function (v) { return typeof v === "number" && isFinite(v); };
  var add = function (a, b) { return !isNum(a) && !isNum(b) ? undefined : (isNum(a) ? a : 0) + (isNum(b) ? b : 0); };
  var ratio = function (n, d) { return isNum(n) && isNum(d) && d > 0 ? n / d : undefined; };
  var fmtInt = function (v) { return isNum(v) ? v.toLocaleString() : DASH; };
  var fmtFix = function (v, digits) { return isNum(v) ? v.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits }) : DASH; };
  var fmtPct = function (r) { return isNum(r) ? fmtFix(r * 100, 1) + "%" : DASH; };
  var pad2 = function (n) { return ("0" + n).slice(-2); };
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function setVal(id, text, raw) {
    var e = byId(id);
    e.textContent = text;
    if (isNum(raw)) e.setAttribute("data-value", String(raw)); else e.removeAttribute("data-value");
  }
  function entries(map) { return map && typeof map === "object" ? Object.keys(map).map(function (k) { return [k, map[k]]; }).filter(function (e) { return isNum(e[1]); }) : []; }
  function byCountDesc(a, b) { return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0); }

  // One metrics object for the selected tags: counters summed, maps summed per key, per-minute
  // rows summed per minute, latency counts summed and percentiles the highest of any tag.
  function combine(tags) {
    var out = {}, minutes = {};
    tags.forEach(function (t) {
      var m = (t && t.metrics) || {};
      SCALARS.forEach(function (k) { out[k] = add(out[k], m[k]); });
      MAPS.forEach(function (k) {
        if (!m[k] || typeof m[k] !== "object") return;
        out[k] = out[k] || {};
        entries(m[k]).forEach(function (e) { out[k][e[0]] = add(out[k][e[0]], e[1]); });
      });
      if (m.errorMessages && typeof m.errorMessages === "object") {
        out.errorMessages = out.errorMessages || {};
        Object.keys(m.errorMessages).forEach(function (k) { if (!out.errorMessages[k]) out.errorMessages[k] = String(m.errorMessages[k]); });
      }
      if (m.latencyMs && typeof m.latencyMs === "object") {
        out.latencyMs = out.latencyMs || {};
        STAGES.forEach(function (s) {
          var src = m.latencyMs[s], dst;
          if (!src) return;
          dst = out.latencyMs[s] = out.latencyMs[s] || {};
          dst.count = add(dst.count, src.count);
          ["p50", "p90", "p99"].forEach(function (p) { if (isNum(src[p])) dst[p] = isNum(dst[p]) ? Math.max(dst[p], src[p]) : src[p]; });
        });
      }
      if (Array.isArray(m.perMinute)) {
        m.perMinute.forEach(function (r) {
          if (!r || typeof r.minute !== "string") return;
          var d = minutes[r.minute] = minutes[r.minute] || { minute: r.minute, received: 0, accepted: 0, rejected: 0, failed: 0 };
          ["received", "accepted", "rejected", "failed"].forEach(function (k) { if (isNum(r[k])) d[k] += r[k]; });
        });
        out.perMinute = true;
      }
    });
    if (out.perMinute) out.perMinute = Object.keys(minutes).sort().slice(-30).map(function (k) { return minutes[k]; });
    return out;
  }

  function fillRows(tbody, rows, cols, present) {
    tbody.replaceChildren();
    if (!rows.length) { tbody.appendChild(el("tr")).appendChild(el("td", { colspan: String(cols), class: "empty" }, present ? "none" : DASH)); return; }
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function row(attrs, cells) {
    var tr = el("tr", attrs);
    cells.forEach(function (c) { tr.appendChild(el("td", { "data-cell": c[0], class: c[2] || "" }, c[1])); });
    return tr;
  }

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function niceMax(v) {
    if (!(v > 0)) return 4;
    var p = Math.pow(10, Math.floor(Math.log10(v))), f = v / p;
    var n = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 4 ? 4 : f <= 5 ? 5 : 10) * p;
    return n < 4 ? 4 : n;
  }
  function renderChart(rows) {
    var box = byId("chart");
    box.replaceChildren();
    if (!rows || !rows.length) { box.appendChild(el("p", { class: "empty" }, rows ? "No traffic yet." : DASH)); return; }
    var W = Math.max(320, Math.round(box.clientWidth) || 760), H = 230, L = 40, R = 44, T = 12, B = 26, pw = W - L - R, ph = H - T - B;
    var max = niceMax(Math.max.apply(null, rows.map(function (r) { return Math.max(r.received, r.accepted + r.rejected + r.failed); })));
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "events per minute" });
    var y = function (v) { return T + ph - (v / max) * ph; }, slot = pw / rows.length;
    [0, 0.5, 1].forEach(function (f) {
      s.appendChild(svg("line", { x1: L, x2: W - R, y1: y(max * f), y2: y(max * f), stroke: "#e2e6eb" }));
      s.appendChild(svg("text", { x: L - 6, y: y(max * f) + 4, "text-anchor": "end" }, (max * f).toLocaleString()));
      s.appendChild(svg("text", { x: W - R + 6, y: y(max * f) + 4, style: "fill:#7a1d14" }, Math.round(f * 100) + "%"));
    });
    var every = Math.max(1, Math.ceil(rows.length / Math.max(2, Math.floor(pw / 64)))), pts = [];
    rows.forEach(function (r, i) {
      var x = L + i * slot, d = new Date(r.minute), hhmm = isNaN(d) ? "?" : pad2(d.getHours()) + ":" + pad2(d.getMinutes());
      var g = svg("g", {}), sent = r.accepted + r.rejected + r.failed;
      g.appendChild(svg("title", {}, hhmm + "  received " + r.received.toLocaleString() + ", accepted " + r.accepted.toLocaleString() + ", rejected " + r.rejected.toLocaleString() + ", failed " + r.failed.toLocaleString()));
      g.appendChild(svg("rect", { x: x + slot * 0.12, width: slot * 0.76, y: y(r.received), height: y(0) - y(r.received), fill: "#d6e0ee", rx: 1.5 }));
      var base = 0;
      [["accepted", "#1f8a5b"], ["rejected", "#c07a00"], ["failed", "#c8372d"]].forEach(function (p) {
        var v = r[p[0]];
        if (v > 0) g.appendChild(svg("rect", { x: x + slot * 0.3, width: slot * 0.4, y: y(base + v), height: y(base) - y(base + v), fill: p[1] }));
        base += v;
      });
      s.appendChild(g);
      if ((rows.length - 1 - i) % every === 0) s.appendChild(svg("text", { x: x + slot / 2, y: H - 8, "text-anchor": "middle" }, hhmm));
      if (sent > 0) pts.push([x + slot / 2, T + ph - ((r.rejected + r.failed) / sent) * ph, i]);
    });
    if (pts.length) {
      var path = pts.map(function (p, j) { return (j && pts[j - 1][2] === p[2] - 1 ? "L" : "M") + p[0].toFixed(1) + " " + p[1].toFixed(1); }).join(" ");
      s.appendChild(svg("path", { d: path, fill: "none", stroke: "#7a1d14", "stroke-width": 1.6, "stroke-linejoin": "round" }));
      pts.forEach(function (p) { s.appendChild(svg("circle", { cx: p[0], cy: p[1], r: 2.2, fill: "#7a1d14" })); });
    }
    s.appendChild(svg("line", { x1: L, x2: W - R, y1: y(0), y2: y(0), stroke: "#aab3bf" }));
    box.appendChild(s);
  }

  function renderOutcome(m) {
    var parts = [["accepted", m.eventsAccepted, "var(--ok)"], ["rejected", m.eventsRejected, "var(--warn)"], ["failed", m.eventsFailed, "var(--bad)"]];
    var total = parts.reduce(function (a, p) { return a + (isNum(p[1]) ? p[1] : 0); }, 0), bar = byId("obar"), lg = byId("olegend");
    bar.replaceChildren(); lg.replaceChildren();
    parts.forEach(function (p) {
      var share = ratio(p[1], total);
      if (share > 0) {
        var seg = bar.appendChild(el("div", { "data-part": p[0], title: p[0] + " " + fmtPct(share) }));
        seg.style.width = (share * 100).toFixed(3) + "%"; seg.style.background = p[2];
      }
      var item = lg.appendChild(el("span"));
      item.appendChild(el("i", { class: "sw" })).style.background = p[2];
      item.appendChild(document.createTextNode(p[0] + " " + fmtInt(p[1]) + " (" + fmtPct(share) + ")"));
    });
  }

  function render() {
    var data = state.data, sel = byId("tag"), names = data.tags.map(function (t) { return String(t && t.name); });
    var current = Array.prototype.slice.call(sel.options, 1).map(function (o) { return o.value; });
    if (current.join("|") !== names.join("|")) {
      var keep = sel.value;
      while (sel.options.length > 1) sel.remove(1);
      names.forEach(function (n) { sel.appendChild(el("option", { value: n }, n)); });
      sel.value = names.indexOf(keep) >= 0 ? keep : "";
    }
    var tags = sel.value ? data.tags.filter(function (t) { return String(t && t.name) === sel.value; }) : data.tags;
    var m = combine(tags);
    var gen = byId("last-updated"), d = new Date(data.generatedAt);
    gen.textContent = isNaN(d) ? DASH : d.toLocaleString();
    gen.setAttribute("datetime", typeof data.generatedAt === "string" ? data.generatedAt : "");
    setVal("received", fmtInt(m.eventsReceived), m.eventsReceived);
    setVal("built", fmtInt(m.eventsBuilt), m.eventsBuilt);
    setVal("accepted", fmtInt(m.eventsAccepted), m.eventsAccepted);
    setVal("rejected", fmtInt(m.eventsRejected), m.eventsRejected);
    setVal("failed", fmtInt(m.eventsFailed), m.eventsFailed);
    setVal("unconfirmed", fmtInt(m.eventsUnconfirmed), m.eventsUnconfirmed);
    setVal("skipped", fmtInt(m.eventsSkipped), m.eventsSkipped);
    setVal("invalid", fmtInt(m.eventsInvalid), m.eventsInvalid);
    var errRate = ratio(add(m.eventsRejected, m.eventsFailed), add(m.eventsAccepted, add(m.eventsRejected, m.eventsFailed)));
    setVal("error-rate", fmtPct(errRate), errRate);
    var ids = m.identityByStatus, good = ids ? add(ids.resolved, ids.cached) || 0 : undefined;
    var idRate = ids ? ratio(good, good + (isNum(ids.failed) ? ids.failed : 0)) : undefined;
    setVal("identity-success", fmtPct(idRate), idRate);
    var mk = m.matchKeys, keys = entries(mk).filter(function (e) { return e[0] !== "events"; });
    var avg = mk ? ratio(keys.reduce(function (a, e) { return a + e[1]; }, 0), mk.events) : undefined;
    setVal("avg-match-keys", fmtFix(avg, 2), avg);
    ["requests", "tries", "retries"].forEach(function (k) { setVal(k, fmtInt(m[k]), m[k]); });
    setVal("identity-calls", fmtInt(m.identityCalls), m.identityCalls);
    setVal("identity-call-failures", fmtInt(m.identityCallFailures), m.identityCallFailures);
    setVal("identity-enriched", fmtInt(m.identityEnriched), m.identityEnriched);

    renderHistory(data, sel.value);
    renderChart(m.perMinute);
    renderOutcome(m);
    var msgs = m.errorMessages || {};
    fillRows(byId("errors-body"), entries(m.errorsByCode).sort(byCountDesc).slice(0, 10).map(function (e) {
      return row({ "data-testid": "error-row", "data-code": e[0], "data-count": String(e[1]) }, [["code", e[0], "mono nw"], ["count", fmtInt(e[1]), "n"], ["message", msgs[e[0]] || DASH, "msg"]]);
    }), 3, !!m.errorsByCode);
    fillRows(byId("skipped-body"), entries(m.skippedByReason).sort(byCountDesc).map(function (e) {
      return row({ "data-testid": "skip-row", "data-reason": e[0], "data-count": String(e[1]) }, [["reason", e[0], "mono"], ["count", fmtInt(e[1]), "n"]]);
    }), 2, !!m.skippedByReason);
    fillRows(byId("identity-body"), entries(ids).sort(byCountDesc).map(function (e) {
      return row({ "data-testid": "identity-status", "data-status": e[0], "data-count": String(e[1]) }, [["status", e[0]], ["count", fmtInt(e[1]), "n"]]);
    }), 2, !!ids);
    var lat = m.latencyMs || {};
    fillRows(byId("latency-body"), STAGES.map(function (s) {
      var l = lat[s] || {};
      return row({ "data-testid": "latency-row", "data-stage": s }, [["stage", s], ["p50", fmtInt(l.p50), "n"], ["p90", fmtInt(l.p90), "n"], ["p99", fmtInt(l.p99), "n"], ["count", fmtInt(l.count), "n"]]);
    }), 5, true);
    byId("latency-note").hidden = tags.length < 2;
    var cov = byId("coverage");
    cov.replaceChildren();
    if (!keys.length) cov.appendChild(el("p", { class: "empty" }, mk ? "No built events yet." : DASH));
    keys.sort(byCountDesc).forEach(function (e) {
      var share = ratio(e[1], mk.events), label = el("div", { "data-testid": "key-row", "data-key": e[0], "data-value": isNum(share) ? String(share) : "" });
      label.appendChild(el("span", { class: "mono" }, e[0]));
      if (KEY_NAMES[e[0]]) label.appendChild(el("span", { class: "hint" }, " " + KEY_NAMES[e[0]]));
      var track = el("div", { class: "track", title: fmtInt(e[1]) + " of " + fmtInt(mk.events) + " events" });
      track.appendChild(el("div", { class: "fill" })).style.width = (Math.min(1, share || 0) * 100).toFixed(2) + "%";
      cov.appendChild(label); cov.appendChild(track); cov.appendChild(el("div", { class: "n", "data-testid": "key-pct", "data-key": e[0] }, fmtPct(share)));
    });
  }

  var PALETTE = ["#2f5fd0", "#1f8a5b", "#c07a00", "#8a4fd0", "#c8372d", "#2a9bb0", "#7d8796"];
  var when = function (iso) { var d = new Date(iso); return typeof iso === "string" && !isNaN(d) ? d.toLocaleString() : DASH; };

  function renderEventChart(v) {
    var box = byId("event-chart"), lg = byId("event-legend");
    box.replaceChildren(); lg.replaceChildren();
    var events = (v.byEvent || []).slice().sort(function (a, b) { return (b.accepted + b.rejected + b.failed + b.unconfirmed) - (a.accepted + a.rejected + a.failed + a.unconfirmed); });
    var shown = events.slice(0, PALETTE.length - 1), rest = events.slice(PALETTE.length - 1), bins = (v.chart || []).length;
    if (rest.length) shown.push({ event: "other", series: rest.reduce(function (acc, e) { return acc.map(function (n, i) { return n + (e.series[i] || 0); }); }, new Array(bins).fill(0)) });
    var totals = new Array(bins).fill(0);
    shown.forEach(function (e) { (e.series || []).forEach(function (n, i) { totals[i] += n; }); });
    var W = 900, H = 190, L = 36, R = 8, T = 8, B = 22, pw = W - L - R, ph = H - T - B;
    var max = niceMax(Math.max.apply(null, totals.concat([0]))), slot = pw / Math.max(bins, 1);
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "events sent per event name" });
    [0, 0.5, 1].forEach(function (f) {
      var yy = T + ph - f * ph;
      s.appendChild(svg("line", { x1: L, x2: W - R, y1: yy, y2: yy, stroke: "#e2e6eb" }));
      s.appendChild(svg("text", { x: L - 5, y: yy + 4, "text-anchor": "end" }, String(Math.round(max * f))));
    });
    for (var i = 0; i < bins; i++) {
      var base = 0;
      shown.forEach(function (e, k) {
        var n = (e.series || [])[i] || 0;
        if (!n) return;
        var h = (n / max) * ph;
        s.appendChild(svg("rect", { x: L + i * slot + slot * 0.1, width: Math.max(slot * 0.8, 1), y: T + ph - base - h, height: h, fill: PALETTE[k], "data-event": e.event, "data-bin": i, "data-count": n }));
        base += h;
      });
    }
    var label = function (iso) { var d = new Date(iso); return isNaN(d) ? "" : (v.range === "7d" ? (d.getMonth() + 1) + "/" + d.getDate() + " " : "") + pad2(d.getHours()) + ":" + pad2(d.getMinutes()); };
    [0, Math.floor(bins / 2), bins - 1].forEach(function (i) { if (v.chart && v.chart[i]) s.appendChild(svg("text", { x: L + i * slot + slot / 2, y: H - 6, "text-anchor": "middle" }, label(v.chart[i].at))); });
    box.appendChild(s);
    shown.forEach(function (e, k) {
      var item = lg.appendChild(el("span", { "data-testid": "legend-event", "data-event": e.event }));
      item.appendChild(el("i", { class: "sw" })).style.background = PALETTE[k];
      item.appendChild(document.createTextNode(e.event || "(no name)"));
    });
  }

  function renderCoverage(r) {
    var cov = byId("key-coverage");
    cov.replaceChildren();
    byId("cov-of").textContent = r ? r.event + " at pixel " + r.pixel + ", " + fmtInt(r.events) + " accepted events" : "";
    if (!r) { cov.appendChild(el("p", { class: "empty" }, "No accepted events in this range.")); return; }
    Object.keys(r.coverage || {}).forEach(function (k) {
      var pct = r.coverage[k], label = el("div", { "data-testid": "cov-row", "data-key": k, "data-pct": String(pct) });
      label.appendChild(el("span", { class: "mono" }, k));
      if (KEY_NAMES[k]) label.appendChild(el("span", { class: "hint" }, " " + KEY_NAMES[k]));
      var track = el("div", { class: "track" });
      track.appendChild(el("div", { class: "fill" })).style.width = Math.min(100, Math.max(0, pct)) + "%";
      cov.appendChild(label); cov.appendChild(track); cov.appendChild(el("div", { class: "n" }, pct + "%"));
    });
  }

  function renderHistory(data, tagName) {
    var v = (data.views || {})[tagName || ""] || {}, t = v.totals || {};
    var store = data.store || {};
    byId("h-scope").textContent = store.durable ? "(" + (store.kind === "durable-object" ? "Durable Object" : "SQLite") + ": every instance, kept across restarts)" : "(this instance only, since it started: no history store configured)";
    document.body.dataset.store = String(store.kind || "");
    ["received", "accepted", "rejected", "failed", "unconfirmed", "skipped", "invalid"].forEach(function (k) { setVal("h-" + k, fmtInt(t[k]), t[k]); });
    var rate = v.errorRate === null || v.errorRate === undefined ? undefined : Number(v.errorRate);
    setVal("h-error-rate", fmtPct(rate), rate);
    renderEventChart(v);
    fillRows(byId("events-body"), (v.byEvent || []).map(function (e) {
      return row({ "data-testid": "event-row", "data-event": e.event }, [["event", e.event || "(no name)", "mono"], ["received", fmtInt(e.received), "n"], ["accepted", fmtInt(e.accepted), "n"], ["rejected", fmtInt(e.rejected), "n"], ["failed", fmtInt(e.failed), "n"], ["unconfirmed", fmtInt(e.unconfirmed), "n"]]);
    }), 6, true);
    fillRows(byId("pixels-body"), (v.byPixel || []).map(function (p) {
      return row({ "data-testid": "pixel-row", "data-pixel": p.pixel }, [["pixel", p.pixel, "mono"], ["accepted", fmtInt(p.accepted), "n"], ["rejected", fmtInt(p.rejected), "n"], ["failed", fmtInt(p.failed), "n"], ["unconfirmed", fmtInt(p.unconfirmed), "n"]]);
    }), 5, true);
    var d = v.dedup || {}, share = ratio(d.fromPage, add(d.fromPage, d.generated));
    setVal("dedup-page", fmtInt(d.fromPage), d.fromPage);
    setVal("dedup-generated", fmtInt(d.generated), d.generated);
    setVal("dedup-share", fmtPct(share), share);
    var emq = v.emq || [];
    if (!emq.some(function (r) { return r.pixel + "|" + r.event === state.picked; })) state.picked = emq.length ? emq[0].pixel + "|" + emq[0].event : "";
    fillRows(byId("emq-body"), emq.map(function (r) {
      var key = r.pixel + "|" + r.event, tr = row({ "data-testid": "emq-row", "data-pixel": r.pixel, "data-event": r.event, "data-score": String(r.score), class: "pick" + (key === state.picked ? " picked" : "") }, [["pixel", r.pixel, "mono"], ["event", r.event, "mono"], ["events", fmtInt(r.events), "n"]]);
      var sc = tr.appendChild(el("td", { class: "n", "data-cell": "score" }, fmtFix(Number(r.score), 1) + " "));
      sc.appendChild(el("span", { class: "badge " + r.band }, r.band));
      tr.appendChild(el("td", { "data-cell": "raise" }, (r.raise || []).map(function (x) { return x.key + " +" + x.add; }).join(", ") || "nothing: every weighted key on every event"));
      tr.addEventListener("click", function () { state.picked = key; render(); });
      return tr;
    }), 5, true);
    renderCoverage(emq.filter(function (r) { return r.pixel + "|" + r.event === state.picked; })[0]);
    var tags = (data.tags || []).filter(function (x) { return !tagName || x.name === tagName; });
    fillRows(byId("tags-body"), tags.map(function (x) {
      var tr = row({ "data-testid": "tag-row", "data-tag": x.name }, [["tag", x.name, "mono"], ["pixels", (x.pixels || []).join(", "), "mono"]]);
      tr.appendChild(el("td", { "data-cell": "mode" })).appendChild(el("span", { class: "badge" + (x.testMode ? " test" : ""), "data-testid": "tag-mode" }, x.testMode ? "test mode (testEventCode)" : "live"));
      tr.appendChild(el("td", { "data-cell": "last-event", class: "nw" }, when(x.lastEventAt)));
      tr.appendChild(el("td", { "data-cell": "last-error", class: "nw" }, when(x.lastErrorAt)));
      return tr;
    }), 5, true);
    var recent = (data.recent || []).filter(function (e) { return !tagName || e.tag === tagName; });
    fillRows(byId("recent-body"), recent.map(function (e) {
      var err = e.error || {}, msg = [err.code, err.title, err.message].filter(function (x) { return typeof x === "string" && x; }).join(" · ");
      var tr = row({ "data-testid": "recent-row", "data-status": e.status, "data-event": e.event, "data-pixel": e.pixel }, [["time", when(e.at), "nw"], ["event", e.event, "mono"], ["pixel", e.pixel, "mono"], ["tag", e.tag, "mono"]]);
      tr.appendChild(el("td", { "data-cell": "status" })).appendChild(el("span", { class: "badge " + e.status }, e.status));
      tr.appendChild(el("td", { "data-cell": "keys", class: "mono" }, (e.keys || []).join(" ")));
      tr.appendChild(el("td", { "data-cell": "trace", class: "mono" }, e.fbtraceId || DASH));
      tr.appendChild(el("td", { "data-cell": "message", class: "msg" }, msg || DASH));
      return tr;
    }), 8, true);
    var al = byId("alerts-list");
    al.replaceChildren();
    (data.alerts || []).forEach(function (a) { al.appendChild(el("li", { "data-testid": "alert" }, a)); });
    if (!(data.alerts || []).length) al.appendChild(el("li", { class: "empty" }, "No alerts configured (see alerts in the README)."));
    byId("identity-card").hidden = !data.identityInUse;
  }

  function showError(msg) {
    document.body.dataset.error = msg;
    var b = byId("banner");
    b.textContent = msg + (state.loaded ? " Showing the last data received." : "");
    b.hidden = false;
  }
  async function refresh() {
    clearTimeout(state.timer);
    try {
      if (!document.hidden || !state.loaded) {
        var res = await fetch("/dashboard/data?range=" + encodeURIComponent(byId("range").value), { credentials: "same-origin", cache: "no-store", headers: { accept: "application/json" } });
        if (res.status === 401) throw new Error("Not authorized (HTTP 401): reload the page and sign in.");
        if (res.status === 403) throw new Error("Forbidden (HTTP 403).");
        if (!res.ok) throw new Error("The server answered HTTP " + res.status + ".");
        var data = await res.json();
        if (!data || !Array.isArray(data.tags)) throw new Error("Unexpected data from the server.");
        state.data = data;
        render();
        delete document.body.dataset.error;
        byId("banner").hidden = true;
        if (!state.loaded) { state.loaded = true; document.body.dataset.loaded = "true"; }
      }
    } catch (e) {
      showError(e instanceof TypeError && !state.data ? "Cannot reach the server: " + e.message : "Could not load data: " + (e && e.message ? e.message : String(e)));
    } finally {
      state.timer = setTimeout(refresh, 5000);
    }
  }
  byId("tag").addEventListener("change", function () { if (state.data) render(); });
  byId("range").addEventListener("change", function () { refresh(); });
  window.addEventListener("resize", function () { if (state.data) render(); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  refresh();
})();
</script>
</body>
</html>
`;
