import { CloudWatchClient, GetDashboardCommand, PutDashboardCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { CloudWatchDashboards } from "../../../../src/adapters/dashboards";
import type { Dashboards } from "../../../../src/ports/dashboards";
import { storeDashboardBody, syncStoreDashboard } from "../../../../src/store-signals/dashboard";

const settings = {
  name: "keystore-autopilot-dev-stores",
  stageDashboard: "keystore-autopilot-dev",
  region: "us-east-1",
  namespace: "KeystoreAutopilot",
  service: "keystore-autopilot",
};
const A = "cks-aaaaaaaaaaaaaaaa";
const B = "cks-bbbbbbbbbbbbbbbb";

type Widget = { type: string; y: number; properties: { title?: string; markdown?: string; metrics?: unknown[][] } };
const widgets = (body: string) => (JSON.parse(body) as { widgets: Widget[] }).widgets;

describe("storeDashboardBody", () => {
  it("returns a header, then a row of three widgets per store in id order, each naming only its store", () => {
    const body = widgets(storeDashboardBody([B, A], settings));

    expect(body[0]).toMatchObject({ type: "text", y: 0 });
    expect(body[0]?.properties.markdown).toContain("connectCheckStores");
    expect(body[0]?.properties.markdown).toContain("keystore-autopilot-dev");
    expect(body.slice(1).map((w) => [w.y, w.properties.title?.split(":")[0]])).toEqual([
      [2, A],
      [2, A],
      [2, A],
      [8, B],
      [8, B],
      [8, B],
    ]);
    const rowB = JSON.stringify(body.slice(4));
    expect(rowB).not.toContain(A);
    expect(rowB).toContain(`["KeystoreAutopilot","Connected","CustomKeyStoreId","${B}","service","keystore-autopilot"`);
    expect(rowB).toContain(`CustomKeyStoreId=\\"${B}\\"`);
  });

  it("returns the same text for the same stores in any order, and the header alone for none", () => {
    expect(storeDashboardBody([A, B], settings)).toBe(storeDashboardBody([B, A], settings));
    expect(widgets(storeDashboardBody([], settings))).toHaveLength(1);
  });
});

describe("syncStoreDashboard", () => {
  const fake = (current?: string) => {
    const puts: string[] = [];
    const dashboards: Dashboards = {
      body: async () => current,
      put: async (_name, body) => {
        puts.push(body);
      },
    };
    return { dashboards, puts };
  };

  it("returns true and writes the body when the dashboard has other stores, or none yet", async () => {
    const stale = fake(storeDashboardBody([A], settings));
    const missing = fake(undefined);

    expect(await syncStoreDashboard(stale, [{ customKeyStoreId: A }, { customKeyStoreId: B }], settings)).toBe(true);
    expect(await syncStoreDashboard(missing, [{ customKeyStoreId: A }], settings)).toBe(true);
    expect(stale.puts).toEqual([storeDashboardBody([A, B], settings)]);
    expect(missing.puts).toEqual([storeDashboardBody([A], settings)]);
  });

  it("returns false and writes nothing when the dashboard already shows these stores", async () => {
    const same = fake(storeDashboardBody([A, B], settings));

    expect(await syncStoreDashboard(same, [{ customKeyStoreId: B }, { customKeyStoreId: A }], settings)).toBe(false);
    expect(same.puts).toEqual([]);
  });
});

describe("CloudWatchDashboards", () => {
  const cw = mockClient(CloudWatchClient);
  beforeEach(() => cw.reset());

  it("returns the body GetDashboard gives, and undefined for a dashboard CloudWatch does not have", async () => {
    cw.on(GetDashboardCommand, { DashboardName: "there" }).resolves({ DashboardBody: '{"widgets":[]}' });
    cw.on(GetDashboardCommand, { DashboardName: "gone" }).rejects(
      Object.assign(new Error("Dashboard does not exist"), { name: "ResourceNotFound" }),
    );
    const dashboards = new CloudWatchDashboards(cw as unknown as CloudWatchClient);

    expect(await dashboards.body("there")).toBe('{"widgets":[]}');
    expect(await dashboards.body("gone")).toBeUndefined();
  });

  it("throws any other failure of GetDashboard, and puts the whole body with PutDashboard", async () => {
    cw.on(GetDashboardCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDenied" }));
    cw.on(PutDashboardCommand).resolves({ DashboardValidationMessages: [] });
    const dashboards = new CloudWatchDashboards(cw as unknown as CloudWatchClient);

    await expect(dashboards.body("x")).rejects.toMatchObject({ name: "AccessDenied" });
    await dashboards.put("x", '{"widgets":[]}');
    expect(cw.commandCalls(PutDashboardCommand)[0]?.args[0].input).toEqual({
      DashboardName: "x",
      DashboardBody: '{"widgets":[]}',
    });
  });
});
