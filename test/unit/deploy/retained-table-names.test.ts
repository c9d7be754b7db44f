// deploy/retained-table-names.cjs: CloudFormation names retained tables, so a redeploy never collides with one.
type TableHooks = Record<string, () => void>;
const RetainedTableNames = require("../../../deploy/retained-table-names.cjs") as new (
  serverless: unknown,
) => {
  hooks: TableHooks;
};

describe("CloudFormation-named retained tables", () => {
  it("returns the retained table without TableName and the functions' variables as a Ref to it", () => {
    const resources = {
      Orphans: { Type: "AWS::DynamoDB::Table", DeletionPolicy: "Retain", Properties: { TableName: "svc-dev-orphans" } },
      Scratch: { Type: "AWS::DynamoDB::Table", Properties: { TableName: "svc-dev-scratch" } },
      CheckLambdaFunction: {
        Type: "AWS::Lambda::Function",
        Properties: { Environment: { Variables: { ORPHAN_TABLE_NAME: "svc-dev-orphans", OTHER: "svc-dev-scratch" } } },
      },
    };
    const plugin = new RetainedTableNames({
      service: { provider: { compiledCloudFormationTemplate: { Resources: resources } } },
    });

    plugin.hooks["before:aws:package:finalize:saveServiceState"]?.();

    expect(resources.Orphans.Properties).toEqual({});
    expect(resources.Scratch.Properties).toEqual({ TableName: "svc-dev-scratch" });
    expect(resources.CheckLambdaFunction.Properties.Environment.Variables).toEqual({
      ORPHAN_TABLE_NAME: { Ref: "Orphans" },
      OTHER: "svc-dev-scratch",
    });
  });
});
