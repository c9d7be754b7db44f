// deploy/generated-role-names.cjs: CloudFormation names every IAM role, so no stage or Region overflows 64 characters.
type Hooks = Record<string, () => void>;
const GeneratedRoleNames = require("../../../deploy/generated-role-names.cjs") as new (
  serverless: unknown,
) => {
  hooks: Hooks;
};

function fakeServerless(functions: Record<string, Record<string, unknown>>, resources: Record<string, unknown>) {
  return {
    service: {
      getAllFunctions: () => Object.keys(functions),
      getFunction: (name: string) => functions[name],
      provider: { compiledCloudFormationTemplate: { Resources: resources } },
    },
  };
}

describe("CloudFormation-named IAM roles", () => {
  it("returns roles without RoleName after packaging, whatever name the roles plugin generated", () => {
    const resources = {
      LongIamRoleLambdaExecution: {
        Type: "AWS::IAM::Role",
        Properties: { RoleName: { "Fn::Join": ["-", ["keystore-autopilot", "production", "long"]] }, Path: "/" },
      },
      Table: { Type: "AWS::DynamoDB::Table", Properties: { TableName: "kept" } },
    };
    const plugin = new GeneratedRoleNames(fakeServerless({}, resources));

    plugin.hooks["before:package:finalize"]?.();

    expect(resources.LongIamRoleLambdaExecution.Properties).toEqual({ Path: "/" });
    expect(resources.Table.Properties).toEqual({ TableName: "kept" });
  });

  it("gives each function with its own statements a placeholder name first, so the roles plugin does not refuse long ones", () => {
    const functions: Record<string, Record<string, unknown>> = {
      withRole: { iamRoleStatements: [{ Effect: "Allow" }] },
      named: { iamRoleStatements: [{ Effect: "Allow" }], iamRoleStatementsName: "chosen" },
      plain: {},
    };
    const plugin = new GeneratedRoleNames(fakeServerless(functions, {}));

    plugin.hooks["after:package:compileEvents"]?.();

    expect(functions.withRole?.iamRoleStatementsName).toBe("named-by-cloudformation");
    expect(functions.named?.iamRoleStatementsName).toBe("chosen");
    expect(functions.plain?.iamRoleStatementsName).toBeUndefined();
  });
});
