import type { LocalAccount } from "../account/account";
import { PAGE_PREFIX } from "../account/server";
import { CONTENT_SECURITY_POLICY, DEFAULT_REFRESH_SECONDS, renderPage } from "./render";
import { collectState, type OrphanSource } from "./state";

/** The status page's address on an account's endpoint; `?token=` opens it in a browser (see HttpFront.servePage). */
export const STATUS_PAGE_PATH = PAGE_PREFIX;

export function statusPageUrl(endpoint: string, token?: string): string {
  return `${endpoint}${STATUS_PAGE_PATH}${token ? `?token=${encodeURIComponent(token)}` : ""}`;
}

/** `?refresh=<seconds>`: 0 turns auto-refresh off, at most an hour; anything else keeps the default. */
function refreshOf(query: URLSearchParams): number {
  const asked = Number(query.get("refresh") ?? Number.NaN);
  return Number.isInteger(asked) && asked >= 0 && asked <= 3600 ? asked : DEFAULT_REFRESH_SECONDS;
}

/**
 * Serves the read-only status page on the account's port: `GET /_local/ui` (HTML) and `GET /_local/ui/state.json`
 * (the same state as JSON), both behind the control token. `orphans` reads the orphan register where there is one.
 */
export function registerStatusPage(account: LocalAccount, options: { orphans?: OrphanSource } = {}): void {
  const { front } = account.ctx;
  front.page(STATUS_PAGE_PATH, async (query) => ({
    contentType: "text/html",
    body: renderPage(await collectState(account.ctx, options.orphans), refreshOf(query)),
    headers: { "content-security-policy": CONTENT_SECURITY_POLICY },
  }));
  front.page(`${STATUS_PAGE_PATH}/state.json`, async () => ({
    contentType: "application/json",
    body: JSON.stringify(await collectState(account.ctx, options.orphans)),
  }));
}
