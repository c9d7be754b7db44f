import { createHash } from "node:crypto";
import { type Html, html, trusted } from "./html";
import type { PageState } from "./state";

/** Seconds between refreshes unless `?refresh=` says otherwise (0 turns it off). */
export const DEFAULT_REFRESH_SECONDS = 5;

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:80rem;padding:1rem 1.5rem;color:#1b1b1b;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .4rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid #d0d0d0}
thead th{background:#f0f0f0}
code{font:.85rem ui-monospace,monospace}
.muted{color:#555}.s{white-space:nowrap}section{overflow-x:auto}ul.zones{margin:0;padding-left:1rem}
.s{font-weight:600;padding:0 .3rem;border-radius:.2rem;border:1px solid currentColor}
.ok{color:#0a6b2b}.wait{color:#7a4b00}.bad{color:#a4001c}
ol.path,ol.changes{margin:0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:.1rem .35rem}
ol.path li+li::before,ol.changes li+li::before{content:"\\2192\\00a0" / "";color:#555}
button{font:inherit}
@media (prefers-color-scheme:dark){body{color:#e8e8e8;background:#161616}thead th{background:#262626}
th,td{border-color:#3a3a3a}.muted,ol.path li+li::before{color:#aaa}.ok{color:#5fd38a}.wait{color:#f0b545}.bad{color:#ff7b8a}}
`;

/**
 * Auto-refresh: fetches the same page and swaps its `<main>`, so there is one renderer (this module) and no build
 * step. A refusal (the account restarted with a new token) is said in words, and the refresh can be paused.
 */
const SCRIPT = `
(() => {
  const main = document.getElementById("status");
  const note = document.getElementById("refresh-note");
  const toggle = document.getElementById("refresh-toggle");
  const seconds = Number(main.dataset.refresh);
  if (!(seconds > 0)) return;
  let paused = false;
  toggle.hidden = false;
  toggle.addEventListener("click", () => {
    paused = !paused;
    toggle.setAttribute("aria-pressed", String(paused));
    note.textContent = paused ? "Auto-refresh paused." : "Refreshes every " + seconds + " s.";
  });
  const refresh = async () => {
    if (paused || document.hidden) return;
    try {
      const res = await fetch(location.pathname + location.search, { cache: "no-store" });
      if (!res.ok) {
        throw new Error(res.status === 401 || res.status === 403
          ? "the account refused the page (restarted with a new token?): open the URL it printed"
          : "HTTP " + res.status);
      }
      const next = new DOMParser().parseFromString(await res.text(), "text/html").getElementById("status");
      if (next) main.replaceChildren(...next.childNodes);
      if (note.dataset.failed) {
        delete note.dataset.failed;
        note.textContent = "Refreshes every " + seconds + " s.";
      }
    } catch (error) {
      note.dataset.failed = "1";
      note.textContent = "Refresh failed: " + error.message;
    }
  };
  setInterval(refresh, seconds * 1000);
})();
`;

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/** Only this page's own style and script run; it may fetch itself and nothing else, and no one may frame it. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${sha256(STYLE)}`,
  `script-src ${sha256(SCRIPT)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const OK = new Set(["CONNECTED", "ACTIVE", "SUCCEEDED", "Enabled", "DELETED", "SUCCESS"]);
const BAD = new Set(["FAILED", "TIMED_OUT", "ABORTED", "Unavailable", "DEGRADED", "FAILURE", "STILL_PRESENT"]);

/** A state as text; the colour only repeats what the word says. */
function state(value: string): Html {
  const tone = OK.has(value) ? "ok" : BAD.has(value) ? "bad" : "wait";
  return html`<span class="s ${tone}">${value}</span>`;
}

/** "2025-06-01 12:00 UTC", in a <time> element carrying the exact instant. */
function time(isoText: string | undefined): Html {
  if (!isoText) return html`<span class="muted">–</span>`;
  return html`<time datetime="${isoText}">${isoText.slice(0, 16).replace("T", " ")} UTC</time>`;
}

/** "in 6d 23h" or "2h ago": how far `at` is from the simulated now. */
export function relative(at: string, now: string): string {
  const ms = Date.parse(at) - Date.parse(now);
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86_400_000);
  const h = Math.floor((abs % 86_400_000) / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const text = d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

function table(id: string, columns: string[], rows: Html[]): Html {
  if (rows.length === 0) return html`<p>None.</p>`;
  return html`<table aria-labelledby="${id}"><thead><tr>${columns.map(
    (c) => html`<th scope="col">${c}</th>`,
  )}</tr></thead><tbody>${rows}</tbody></table>`;
}

function section(id: string, title: string, count: number | undefined, body: Html): Html {
  const heading = count === undefined ? title : `${title} (${count})`;
  return html`<section aria-labelledby="${id}"><h2 id="${id}">${heading}</h2>${body}</section>`;
}

function keyStores(s: PageState): Html {
  const rows = s.keyStores.map(
    (k) => html`<tr><th scope="row">${k.name}</th><td><code>${k.id}</code></td><td><code>${k.clusterId}</code></td>
<td>${state(k.connectionState)}${k.connectionErrorCode ? html` <code>${k.connectionErrorCode}</code>` : ""}</td>
<td><ol class="changes">${k.stateChanges.map(
      (c) => html`<li>${c.state}${c.code ? html` (${c.code})` : ""} ${time(c.at)}</li>`,
    )}</ol></td></tr>`,
  );
  return section(
    "key-stores",
    "Key stores",
    s.keyStores.length,
    table("key-stores", ["Name", "ID", "Cluster", "Connection", "Recent state changes"], rows),
  );
}

function clusters(s: PageState): Html {
  const rows = s.clusters.map(
    (c) =>
      html`<tr><th scope="row"><code>${c.id}</code></th><td>${state(c.state)}</td><td>${
        c.zones.length === 0
          ? "no HSMs"
          : html`<ul class="zones">${c.zones.map(
              (z) =>
                html`<li>${z.zone}: ${z.hsms.map((h, i) => html`${i > 0 ? ", " : ""}<code>${h.id}</code> ${state(h.state)}`)}</li>`,
            )}</ul>`
      }</td></tr>`,
  );
  return section(
    "clusters",
    "CloudHSM clusters",
    s.clusters.length,
    table("clusters", ["Cluster", "State", "HSMs by Availability Zone"], rows),
  );
}

function keys(s: PageState): Html {
  const rows = s.keys.map(
    (
      k,
    ) => html`<tr><th scope="row"><code>${k.id}</code></th><td><code>${k.keyStoreId}</code></td><td>${k.description}</td>
<td>${state(k.state)}</td><td>${k.deletionDate ? html`${time(k.deletionDate)} (${relative(k.deletionDate, s.now)})` : ""}</td></tr>`,
  );
  const deleted = s.deletedKeys.map(
    (
      k,
    ) => html`<tr><th scope="row"><code>${k.id}</code></th><td><code>${k.keyStoreId}</code></td><td>${time(k.deletedAt)}</td>
<td>${k.backingKeysDeletionStatus ? state(k.backingKeysDeletionStatus) : "–"}</td></tr>`,
  );
  return html`${section(
    "keys",
    "KMS keys in custom key stores",
    s.keys.length,
    table("keys", ["Key", "Key store", "Description", "State", "Deletion date"], rows),
  )}${section(
    "deleted-keys",
    "Keys deleted by KMS, most recent first",
    s.deletedKeys.length,
    table("deleted-keys", ["Key", "Key store", "Deleted", "Backing key deletion"], deleted),
  )}`;
}

function orphans(s: PageState): Html {
  if ("unavailable" in s.orphans) {
    return section("orphans", "Orphan register", undefined, html`<p>Not available: ${s.orphans.unavailable}.</p>`);
  }
  const rows = s.orphans.orphans.map(
    (
      o,
    ) => html`<tr><th scope="row"><code>${o.keyArn.split("/").pop()}</code></th><td><code>${o.customKeyStoreId}</code></td>
<td>${state(o.status)}</td><td>${time(o.foundAt)}</td><td>${o.resolution ? html`${state(o.resolution)} ${time(o.resolvedAt)}` : "open"}</td></tr>`,
  );
  return section(
    "orphans",
    "Orphan register",
    s.orphans.orphans.length,
    table("orphans", ["Key", "Key store", "Status", "Found", "Resolution"], rows),
  );
}

const ENDED_HERE: Record<string, string> = {
  RUNNING: "now here",
  FAILED: "failed here",
  TIMED_OUT: "timed out here",
  ABORTED: "stopped here",
};

function executions(s: PageState): Html {
  const rows = s.executions.map((e) => {
    const last = e.path.length - 1;
    const path = html`<ol class="path">${e.pathOmitted > 0 ? html`<li>… ${e.pathOmitted} earlier</li>` : ""}${e.path.map(
      (p, i) =>
        html`<li>${i === last && ENDED_HERE[e.status] ? html`<strong>${p.state}</strong> (${ENDED_HERE[e.status]})` : p.state}${
          p.times > 1 ? ` ×${p.times}` : ""
        }</li>`,
    )}</ol>`;
    const cause = e.cause && e.cause.length > 300 ? `${e.cause.slice(0, 300)}…` : e.cause;
    return html`<tr><th scope="row"><code>${e.name}</code></th><td>${e.workflow}</td><td>${state(e.status)}</td>
<td>${time(e.startDate)}</td><td>${time(e.stopDate)}</td><td>${path}</td>
<td>${e.error ? html`<code>${e.error}</code>` : ""}${cause ? html`: ${cause}` : ""}</td></tr>`;
  });
  return section(
    "executions",
    "Recent Step Functions executions, newest first",
    s.executions.length,
    table("executions", ["Execution", "Workflow", "Status", "Started", "Ended", "States visited", "Error"], rows),
  );
}

/** The whole page: the state, and the auto-refresh every `refreshSeconds` (0: none). */
export function renderPage(s: PageState, refreshSeconds: number): string {
  const refresh =
    refreshSeconds > 0 ? `Refreshes every ${refreshSeconds} s.` : "Auto-refresh is off: reload to update.";
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Local account status – keystore-autopilot</title>
<style>${trusted(STYLE)}</style></head>
<body><header><h1>keystore-autopilot: local account status</h1>
<p><span id="refresh-note" role="status">${refresh}</span>
<button id="refresh-toggle" type="button" aria-pressed="false" hidden>Pause auto-refresh</button></p></header>
<main id="status" data-refresh="${refreshSeconds}">
<p>Account <code>${s.accountId}</code> in <code>${s.region}</code>. Simulated time: ${time(s.now)}. Read-only: this page
changes nothing.</p>
${keyStores(s)}${clusters(s)}${keys(s)}${orphans(s)}${executions(s)}
</main>
<script>${trusted(SCRIPT)}</script></body></html>
`.text;
}
