import { CloudWatchClient, GetDashboardCommand, PutDashboardCommand } from "@aws-sdk/client-cloudwatch";
import { CREDENTIALS, LocalAccountProcess } from "../../local/account/process";

/** The local account's CloudWatch dashboards, as @aws-sdk/client-cloudwatch calls them (API_PutDashboard, API_GetDashboard). */
describe("CloudWatch dashboards on the local account", () => {
  let account: LocalAccountProcess;
  let cloudwatch: CloudWatchClient;

  beforeAll(async () => {
    account = await LocalAccountProcess.start();
    cloudwatch = new CloudWatchClient({
      endpoint: account.endpoint,
      region: account.region,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
  });
  afterAll(() => account.stop());

  it("returns the body last put, whole, with the dashboard's Region-less ARN", async () => {
    await cloudwatch.send(new PutDashboardCommand({ DashboardName: "ops", DashboardBody: '{"widgets":[1]}' }));
    const put = await cloudwatch.send(
      new PutDashboardCommand({ DashboardName: "ops", DashboardBody: '{"widgets":[]}' }),
    );

    const got = await cloudwatch.send(new GetDashboardCommand({ DashboardName: "ops" }));

    expect(put.DashboardValidationMessages).toEqual([]);
    expect(got).toMatchObject({
      DashboardName: "ops",
      DashboardBody: '{"widgets":[]}',
      DashboardArn: "arn:aws:cloudwatch::111122223333:dashboard/ops",
    });
  });

  it("returns ResourceNotFound for a dashboard never put", async () => {
    await expect(cloudwatch.send(new GetDashboardCommand({ DashboardName: "nothing-here" }))).rejects.toMatchObject({
      name: "ResourceNotFound",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("returns DashboardInvalidInputError (code InvalidParameterInput) and keeps the old body when the new one is not an object with widgets", async () => {
    await cloudwatch.send(new PutDashboardCommand({ DashboardName: "kept", DashboardBody: '{"widgets":[]}' }));

    for (const body of ["not json", '{"title":"no widgets"}', "[]"]) {
      await expect(
        cloudwatch.send(new PutDashboardCommand({ DashboardName: "kept", DashboardBody: body })),
      ).rejects.toMatchObject({ name: "DashboardInvalidInputError" });
    }
    expect((await cloudwatch.send(new GetDashboardCommand({ DashboardName: "kept" }))).DashboardBody).toBe(
      '{"widgets":[]}',
    );
  });

  it("returns a ValidationException naming DashboardName when it has characters AWS does not allow", async () => {
    await expect(
      cloudwatch.send(new PutDashboardCommand({ DashboardName: "bad name!", DashboardBody: '{"widgets":[]}' })),
    ).rejects.toMatchObject({ name: "ValidationException", message: expect.stringContaining("dashboardName") });
  });
});
