import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkSignals, type Template } from "../../scripts/package-checks";

/**
 * The packaged dev template (`STAGE=dev npm run package` writes .serverless/; `npm test` runs this project after
 * it): the dashboard, the store and HSM alarms, the dropped-events alarm and the store check's schedule, as
 * CloudFormation will receive them.
 */
const TEMPLATE = join(__dirname, "../../.serverless/cloudformation-template-update-stack.json");

type Resource = { Type?: string; Properties?: Record<string, unknown> };

function packaged(): Record<string, Resource> {
  if (!existsSync(TEMPLATE)) throw new Error(`${TEMPLATE} is missing: run STAGE=dev npm run package first`);
  return (JSON.parse(readFileSync(TEMPLATE, "utf8")) as { Resources: Record<string, Resource> }).Resources;
}

/** Fn::Sub's one variable in the dashboard body (written without a template literal's `${`). */
const REGION_VARIABLE = ["$", "{AWS::Region}"].join("");

/** The dashboard body as CloudWatch receives it: Fn::Sub's one variable replaced, then parsed as JSON. */
function dashboardBody(resources: Record<string, Resource>) {
  const body = resources.Dashboard?.Properties?.DashboardBody as { "Fn::Sub": string } | undefined;
  const sub = body?.["Fn::Sub"] ?? "";
  expect(sub.match(/\$\{[^}]+\}/g)?.every((v) => v === REGION_VARIABLE)).toBe(true);
  return JSON.parse(sub.replaceAll(REGION_VARIABLE, "us-east-1")) as {
    widgets: { properties: { title: string; metrics: { expression: string }[][] } }[];
  };
}

describe("the packaged template's connection-state signals", () => {
  const resources = packaged();

  it("passes the package check of the dashboard and the alarms", () => {
    expect(checkSignals({ Resources: resources } as Template)).toEqual([]);
  });

  it("returns one dashboard for the stage whose widgets each find their series with a SEARCH expression", () => {
    expect(resources.Dashboard).toMatchObject({
      Type: "AWS::CloudWatch::Dashboard",
      Properties: { DashboardName: "keystore-autopilot-dev" },
    });
    const { widgets } = dashboardBody(resources);
    const expressions = widgets.map((w) => w.properties.metrics.flat().map((m) => m.expression));

    expect(widgets.map((w) => w.properties.title)).toEqual([
      "Key stores connected (1 = CONNECTED)",
      "Minutes since last seen CONNECTED",
      "ACTIVE HSMs per Availability Zone",
      "HsmUnhealthy (AWS/CloudHSM)",
      "HsmSessionCount per HSM (AWS/CloudHSM)",
      "Orphans: open after each cleanup window, registered by follow-ups",
      "Days the oldest open orphan has waited",
      "Keys pending deletion per key store",
      "Proofs of destruction still open, and backups holding deleted material (daily)",
      "Failed and timed-out executions per state machine",
    ]);
    for (const e of expressions.flat()) expect(e).toMatch(/^SEARCH\('.+', '(Minimum|Maximum|Sum)', \d+\)$/);
    expect(expressions[9]?.[0]).toContain(" StateMachineArn=stateMachine:keystore-autopilot-dev'");
    expect(expressions[4]?.[0]).toContain('MetricName="HsmSessionCount"');
    expect(expressions[6]?.[0]).toContain('MetricName="OldestOpenOrphanDays"');
    expect(expressions[7]?.[0]).toContain('MetricName="KeysPendingDeletion"');
  });

  it("returns the store, HSM, session, orphan, check and dropped-events alarms, each to the alarm topic", () => {
    const toTopic = { AlarmActions: [{ Ref: "AlarmTopic" }] };
    expect(resources.StoreNotConnectedAlarm?.Properties).toMatchObject({
      ...toTopic,
      Threshold: 45,
      ComparisonOperator: "GreaterThanThreshold",
      Metrics: [{ Expression: expect.stringContaining("MAX(MinutesSinceLastConnect)"), Period: 300 }],
    });
    expect(resources.HsmUnhealthyAlarm?.Properties).toMatchObject({
      ...toTopic,
      Threshold: 0,
      Metrics: [{ Expression: 'SELECT MAX(HsmUnhealthy) FROM "AWS/CloudHSM"' }],
    });
    expect(resources.HsmSessionsAlarm?.Properties).toMatchObject({
      ...toTopic,
      // 90% of the 2,048 open connections an HSM allows.
      Threshold: 1843,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Metrics: [
        {
          Expression: 'SELECT MAX(HsmSessionCount) FROM "AWS/CloudHSM" GROUP BY ClusterId ORDER BY MAX() DESC',
          Period: 300,
        },
      ],
    });
    expect(resources.OrphanOverdueAlarm?.Properties).toMatchObject({
      ...toTopic,
      Threshold: 8,
      ComparisonOperator: "GreaterThanThreshold",
      Metrics: [
        {
          Expression:
            'SELECT MAX(OldestOpenOrphanDays) FROM SCHEMA("KeystoreAutopilot", CustomKeyStoreId, service) GROUP BY CustomKeyStoreId ORDER BY MAX() DESC',
          Period: 300,
        },
      ],
    });
    expect(resources.ConnectCheckStoresErrorsAlarm?.Properties).toMatchObject({ ...toTopic, MetricName: "Errors" });
    expect(resources.AsyncFailureQueueAlarm?.Properties).toMatchObject({
      ...toTopic,
      MetricName: "ApproximateNumberOfMessagesVisible",
    });
  });

  it("returns an alarm on each rule's dropped events, to the alarm topic, naming the rule as its metrics do", () => {
    const rules = Object.entries(resources).filter(([, r]) => r.Type === "AWS::Events::Rule");

    expect(rules.length).toBeGreaterThan(0);
    for (const [id, rule] of rules) {
      const alarm = resources[`${id}DroppedEventsAlarm`]?.Properties;
      const dimension = { Name: "RuleName", Value: rule.Properties?.Name };
      expect(dimension.Value).toMatch(/^keystore-autopilot-dev-/);
      expect(alarm).toMatchObject({
        AlarmActions: [{ Ref: "AlarmTopic" }],
        Threshold: 1,
        Metrics: [
          { MetricStat: { Metric: { MetricName: "FailedInvocations", Dimensions: [dimension] } } },
          { MetricStat: { Metric: { MetricName: "InvocationsFailedToBeSentToDlq", Dimensions: [dimension] } } },
          { Expression: "FILL(failed, 0) + FILL(notQueued, 0)", ReturnData: true },
        ],
      });
    }
  });

  it("returns the store check's schedule rule invoking connectCheckStores every 5 minutes", () => {
    const rules = Object.values(resources).filter((r) => r.Type === "AWS::Events::Rule");
    const check = rules.find((r) =>
      JSON.stringify(r.Properties?.Targets ?? []).includes('"ConnectCheckStoresLambdaFunction"'),
    );

    expect(check?.Properties).toMatchObject({ ScheduleExpression: "rate(5 minutes)", State: "ENABLED" });
  });

  it("returns the per-store dashboard, which only connectCheckStores may read and rewrite", () => {
    expect(resources.StoresDashboard?.Properties).toMatchObject({ DashboardName: "keystore-autopilot-dev-stores" });
    const statements = Object.entries(resources)
      .filter(([, r]) => r.Type === "AWS::IAM::Role")
      .flatMap(([id, r]) =>
        ((r.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Record<string, unknown>[] } }[]).flatMap(
          (p) => p.PolicyDocument.Statement.map((st) => ({ id, st })),
        ),
      )
      .filter(({ st }) => JSON.stringify(st.Action).includes("cloudwatch:PutDashboard"));

    expect(statements.map(({ id }) => id)).toEqual(["ConnectCheckStoresIamRoleLambdaExecution"]);
    expect(JSON.stringify(statements[0]?.st.Resource)).toContain(":dashboard/keystore-autopilot-dev-stores");
  });
});
