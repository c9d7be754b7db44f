import { renderStatus, type StatusReport, statusPageLink } from "../../../cli/status";
import type { LocalTarget } from "../../../cli/target";

const target: LocalTarget = {
  kind: "local",
  endpoint: "http://127.0.0.1:4599",
  region: "us-east-1",
  accountId: "111122223333",
  now: "2030-01-01T00:00:00.000Z",
  stage: "dev",
};

describe("status page link", () => {
  it("returns the page's URL with the token when the CLI has the token", () => {
    expect(statusPageLink({ ...target, token: "ab12" })).toBe("http://127.0.0.1:4599/_local/ui?token=ab12");
  });

  it("returns where the token is when the CLI could not read it", () => {
    expect(statusPageLink({ ...target, tokenFile: "/data/control-token" })).toBe(
      "http://127.0.0.1:4599/_local/ui?token=<the control token in /data/control-token>",
    );
  });

  it("returns the link as the status's last line when one is given, and no line when none is", () => {
    const report: StatusReport = {
      now: target.now,
      keyStores: [],
      pendingDeletions: [],
      workflows: [],
      executions: [],
    };

    expect(renderStatus(report, "here", "http://x/_local/ui?token=t").split("\n").at(-1)).toMatch(
      / in a browser: http:\/\/x\/_local\/ui\?token=t$/,
    );
    expect(renderStatus(report, "here")).not.toContain("_local/ui");
  });
});
