// List params for serverless.yml. osls hands every `--param='name=value'` over as one string (it has no list syntax),
// so serverless.yml reads its list params through these resolvers: `${file(deploy/list-params.cjs):cliSubnetIds}`.
// Each accepts a YAML list (params in serverless.yml), a JSON array string or a comma-separated string, and refuses
// an item that is not what the param holds, naming the param. Serverless Framework docs, "Variables" (Reference
// Variables in JavaScript Files: an exported function receives `resolveVariable`).
"use strict";

const LISTS = {
  // IAM roles of this account that may approve cleanup windows and answer external signing requests (README
  // "Approvers"): the stack attaches ApproverPolicy to each by name.
  approverPrincipalArns: {
    pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
    what: "an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
  },
  // IAM roles of this account whose people may read and write every secret the product creates (README "Secrets"):
  // each secret's resource policy denies its value to every principal but its kind's roles and these.
  operatorPrincipalArns: {
    pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
    what: "an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
  },
  cloudhsmCliLayers: {
    pattern: /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$/,
    what: "a Lambda layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)",
  },
  cliSubnetIds: { pattern: /^subnet-[0-9a-f]{8,17}$/, what: "a subnet id (subnet-…)" },
};

/** The items of list param `name` from `value` (a list, a JSON array string or a comma-separated string). */
function parseList(name, value) {
  const spec = LISTS[name];
  if (!spec) throw new Error(`param ${name}: not a list param (known: ${Object.keys(LISTS).join(", ")})`);
  let items;
  if (value === null || value === undefined) items = [];
  else if (Array.isArray(value)) items = value;
  else if (typeof value === "string" && value.trim().startsWith("[")) {
    try {
      items = JSON.parse(value);
    } catch {
      throw new Error(`param ${name}: ${JSON.stringify(value)} is not a JSON array; pass ["a","b"] or a,b`);
    }
    if (!Array.isArray(items)) throw new Error(`param ${name}: expected a list`);
  } else if (typeof value === "string") {
    items = value.split(",").map((item) => item.trim());
    if (items.length === 1 && items[0] === "") items = [];
  } else throw new Error(`param ${name}: expected a list, got ${typeof value}`);
  for (const item of items) {
    if (typeof item !== "string" || !spec.pattern.test(item)) {
      throw new Error(`param ${name}: ${JSON.stringify(item)} is not ${spec.what}`);
    }
  }
  return items;
}

module.exports = Object.fromEntries(
  Object.keys(LISTS).map((name) => [
    name,
    async ({ resolveVariable }) => parseList(name, await resolveVariable(`param:${name}`)),
  ]),
);
// ApproverPolicy's Roles take role names (AWS::IAM::ManagedPolicy, CloudFormation User Guide): the last segment of
// each role ARN (IAM User Guide, reference_identifiers: arn:aws:iam::<account>:role/<path>/<name>). None: no Roles.
module.exports.approverRoleNames = async ({ resolveVariable }) => {
  const names = parseList("approverPrincipalArns", await resolveVariable("param:approverPrincipalArns")).map((arn) =>
    arn.split("/").at(-1),
  );
  return names.length > 0 ? names : { Ref: "AWS::NoValue" };
};
module.exports.parseList = parseList;
// The operators' roles as the functions read them (OPERATOR_PRINCIPAL_ARNS): one comma-separated string, "" for none.
module.exports.operatorPrincipalArnsText = async ({ resolveVariable }) =>
  parseList("operatorPrincipalArns", await resolveVariable("param:operatorPrincipalArns")).join(",");

// Single-id params of the CLI functions' own security group (serverless.yml resources CliSecurityGroup and
// ClusterIngressFromCli). Empty (the default, enough for the local account): no value, which the package checks refuse.
const IDS = {
  cliVpcId: { pattern: /^vpc-[0-9a-f]{8,17}$/, what: "a VPC id (vpc-…)" },
  clusterSecurityGroupId: { pattern: /^sg-[0-9a-f]{8,17}$/, what: "a security group id (sg-…)" },
};

/** The id param `name` from `value`, or AWS::NoValue when it is empty; refuses an id of the wrong kind. */
function parseId(name, value) {
  const spec = IDS[name];
  if (!spec) throw new Error(`param ${name}: not an id param (known: ${Object.keys(IDS).join(", ")})`);
  const id = value === null || value === undefined ? "" : String(value).trim();
  if (id === "") return { Ref: "AWS::NoValue" };
  if (!spec.pattern.test(id)) throw new Error(`param ${name}: ${JSON.stringify(id)} is not ${spec.what}`);
  return id;
}
for (const name of Object.keys(IDS)) {
  module.exports[name] = async ({ resolveVariable }) => parseId(name, await resolveVariable(`param:${name}`));
}
module.exports.parseId = parseId;
