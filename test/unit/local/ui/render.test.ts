import { createHash } from "node:crypto";
import { escapeHtml, html } from "../../../../local/ui/html";
import { CONTENT_SECURITY_POLICY, relative, renderPage } from "../../../../local/ui/render";
import type { PageState } from "../../../../local/ui/state";

const HOSTILE = `<img src=x onerror="alert('x')">&`;

/** A state whose every text field a user or a workflow could set holds markup. */
const state: PageState = {
  now: "2030-01-01T00:00:00.000Z",
  region: "us-east-1",
  accountId: "111122223333",
  keyStores: [
    {
      id: "cks-1234567890abcdef0",
      name: HOSTILE,
      clusterId: "cluster-abcdefghijk",
      connectionState: "FAILED",
      connectionErrorCode: "INVALID_CREDENTIALS",
      stateChanges: [{ state: "FAILED", at: "2029-12-31T23:00:00.000Z", code: "INVALID_CREDENTIALS" }],
    },
  ],
  clusters: [
    {
      id: "cluster-abcdefghijk",
      state: "ACTIVE",
      zones: [{ zone: "us-east-1a", hsms: [{ id: "hsm-a", state: "ACTIVE" }] }],
    },
  ],
  keys: [
    {
      id: "1234abcd-12ab-34cd-56ef-1234567890ab",
      keyStoreId: "cks-1234567890abcdef0",
      description: HOSTILE,
      state: "PendingDeletion",
      deletionDate: "2030-01-07T23:00:00.000Z",
    },
  ],
  deletedKeys: [],
  orphans: { unavailable: HOSTILE },
  executions: [
    {
      workflow: "connect-key-store",
      name: "run-1",
      status: "FAILED",
      startDate: "2029-12-31T22:00:00.000Z",
      stopDate: "2029-12-31T22:05:00.000Z",
      path: [
        { state: "Connect", times: 1 },
        { state: HOSTILE, times: 3 },
      ],
      pathOmitted: 2,
      error: HOSTILE,
      cause: `</td></tr></table><script>alert(1)</script>${"x".repeat(400)}`,
    },
  ],
};

describe("status page rendering", () => {
  it("returns every value escaped when the data holds markup", () => {
    const page = renderPage(state, 5);

    expect(page).not.toContain("<img");
    expect(page).not.toContain("<script>alert");
    expect(page.match(/<script>/g)).toHaveLength(1);
    expect(page).toContain(escapeHtml(HOSTILE));
    expect(page).toContain("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;");
  });

  it("returns the path with the state it failed in named in words, and a long cause cut", () => {
    const page = renderPage(state, 5);

    expect(page).toContain(
      `<li>… 2 earlier</li><li>Connect</li><li><strong>${escapeHtml(HOSTILE)}</strong> (failed here) ×3</li>`,
    );
    expect(page).toContain(`${"x".repeat(100)}…`);
    expect(page).not.toContain("x".repeat(400));
  });

  it("returns a Content-Security-Policy that allows exactly the page's inline style and script", () => {
    const page = renderPage(state, 5);
    const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? "";
    const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1] ?? "";

    expect(CONTENT_SECURITY_POLICY).toContain(`style-src ${hash(style)};`);
    expect(CONTENT_SECURITY_POLICY).toContain(`script-src ${hash(script)};`);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
  });

  it("returns the page without auto-refresh when refresh is 0", () => {
    expect(renderPage(state, 0)).toContain('data-refresh="0"');
    expect(renderPage(state, 0)).toContain("Auto-refresh is off");
  });

  it("returns due dates relative to the simulated now", () => {
    expect(relative("2030-01-07T23:00:00.000Z", state.now)).toBe("in 6d 23h");
    expect(relative("2029-12-31T22:30:00.000Z", state.now)).toBe("1h 30m ago");
  });

  it("returns nested html unescaped and plain values escaped when interpolated", () => {
    expect(html`<p>${html`<b>${"<i>"}</b>`}${["a", "&"]}${undefined}${false}</p>`.text).toBe(
      "<p><b>&lt;i&gt;</b>a&amp;</p>",
    );
  });
});
