// serverless.yml reads its list params through deploy/list-params.cjs (osls hands `--param` values over as strings).
type Resolver = (ctx: { resolveVariable: (address: string) => Promise<unknown> }) => Promise<unknown>;
const listParams = require("../../../deploy/list-params.cjs") as Record<string, Resolver> & {
  parseList: (name: string, value: unknown) => string[];
};

const LAYER = "arn:aws:lambda:eu-west-1:111122223333:layer:cloudhsm-cli:3";

describe("list params of serverless.yml", () => {
  it("returns the items of a YAML list, a JSON array string and a comma-separated string alike", () => {
    const subnets = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"];

    expect(listParams.parseList("cliSubnetIds", subnets)).toEqual(subnets);
    expect(listParams.parseList("cliSubnetIds", JSON.stringify(subnets))).toEqual(subnets);
    expect(listParams.parseList("cliSubnetIds", " subnet-0123456789abcdef0, subnet-0fedcba9876543210")).toEqual(
      subnets,
    );
  });

  it("returns an empty list for the default [] and for an empty string", () => {
    expect(listParams.parseList("cliSubnetIds", [])).toEqual([]);
    expect(listParams.parseList("cliSubnetIds", "")).toEqual([]);
  });

  it("resolves the param through osls's resolveVariable, as serverless.yml's file variable does", async () => {
    const asked: string[] = [];
    const resolveVariable = async (address: string) => {
      asked.push(address);
      return `["${LAYER}"]`;
    };

    await expect(listParams.cloudhsmCliLayers?.({ resolveVariable })).resolves.toEqual([LAYER]);
    expect(asked).toEqual(["param:cloudhsmCliLayers"]);
  });

  it("returns the approver roles' names for ApproverPolicy, and no Roles at all when there are none", async () => {
    const arns = ["arn:aws:iam::111122223333:role/cleanup-approver", "arn:aws:iam::111122223333:role/ops/pki-signer"];
    const names = (value: unknown) => listParams.approverRoleNames?.({ resolveVariable: async () => value });

    await expect(names(arns.join(","))).resolves.toEqual(["cleanup-approver", "pki-signer"]);
    await expect(names([])).resolves.toEqual({ Ref: "AWS::NoValue" });
    await expect(names("arn:aws:iam::111122223333:user/alice")).rejects.toThrow(
      'param approverPrincipalArns: "arn:aws:iam::111122223333:user/alice" is not an IAM role ARN',
    );
  });

  it("throws naming the param when an item is not what the param holds", () => {
    expect(() => listParams.parseList("cliSubnetIds", "sg-0123456789abcdef0")).toThrow(
      'param cliSubnetIds: "sg-0123456789abcdef0" is not a subnet id (subnet-…)',
    );
    expect(() => listParams.parseList("cloudhsmCliLayers", "cloudhsm-cli:3")).toThrow(
      'param cloudhsmCliLayers: "cloudhsm-cli:3" is not a Lambda layer version ARN',
    );
  });

  it("throws naming the param when a JSON array is malformed", () => {
    expect(() => listParams.parseList("cliSubnetIds", '["sg-0123456789abcdef0"')).toThrow("param cliSubnetIds: ");
  });
});
