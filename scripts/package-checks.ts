import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { registeredWorkflows, type WorkflowEntry } from "../src/workflows";

/**
 * Checks of what `osls package` produced (.serverless/): the CloudFormation template's IAM, alarms, log retention
 * and tracing, and the size of every function's zip. Pure functions over the parsed template, so unit tests can
 * feed them small templates; scripts/check-package.ts runs them on the real output at the end of scripts/package.sh.
 */

type Raw = Record<string, unknown>;
export type Template = { Resources?: Record<string, { Type?: string; DeletionPolicy?: string; Properties?: Raw }> };

/** A packaged function: its logical id, zip, the handler's file inside the zip and export, and its variables. */
export type PackagedFunction = {
  id: string;
  zip: string;
  handlerFile: string;
  exportName: string;
  variables: Record<string, unknown>;
};

/** The Lambda functions of the template in `dir`, with where each one's handler lives in its zip. */
export function packagedFunctions(dir: string, template: Template): PackagedFunction[] {
  return resourcesOfType(template, "AWS::Lambda::Function").map(([id, raw]) => {
    const p = raw as { Handler: string; Code: { S3Key: string } };
    const dot = p.Handler.lastIndexOf(".");
    return {
      id,
      zip: join(dir, basename(p.Code.S3Key)),
      handlerFile: `${p.Handler.slice(0, dot)}.js`,
      exportName: p.Handler.slice(dot + 1),
      variables: asRecord(asRecord(raw.Environment).Variables),
    };
  });
}

/** A reviewed `Resource: "*"`: who holds it (`function:<key>`, `stateMachine:<key>`, `role:<logicalId>` or `*`). */
export type AllowedWildcard = { owner: string; action: string; reason: string };

/** Every function bundle must stay at or under this many bytes zipped (250 KB). */
export const MAX_ZIP_BYTES = 250 * 1024;

const SAR = "Service Authorization Reference";
const NO_RESOURCE_TYPES = (page: string) =>
  `no resource types in the ${SAR} (${page}): the action only accepts Resource "*"`;
const KMS_CKS = `${NO_RESOURCE_TYPES("list_awskeymanagementservice")}; KMS's permissions table lists custom key store operations as IAM-policy-only with no resource (kms-api-permissions-reference)`;
const CLOUDHSM_DESCRIBE = NO_RESOURCE_TYPES("list_awscloudhsm");
const TASK_TOKEN =
  "a callback's task token names no resource the caller can scope to (the SAR lists only the activity resource type, which tokens of state machine tasks do not match; UNCONFIRMED for callbacks): the token, readable only with states:GetExecutionHistory on the two state machines' executions, is the control";
const XRAY = `${NO_RESOURCE_TYPES("list_awsx-ray")}; active tracing (provider.tracing, tracingConfig) needs it on every role`;
const CLOUDHSM_CREATE_CLUSTER =
  "the cluster does not exist before the call; the Service Authorization Reference (list_awscloudhsm) gives CreateCluster only the backup resource type, for restores from a backup, which provisioning never does; the grant is held to requests carrying the key store tag (aws:RequestTag condition)";
const EC2_DESCRIBE = `${NO_RESOURCE_TYPES("list_amazonec2")}; a dependent action of cloudhsm:CreateCluster (the caller's permissions make the cluster security group)`;

const SFN_LOGGING = `${NO_RESOURCE_TYPES("list_amazoncloudwatchlogs")}; the Step Functions Developer Guide (cw-logs) grants CloudWatch Logs' log delivery actions on Resource "*" for execution logging (loggingConfig)`;
/** The state machines of serverless.yml, one per registered workflow: each logs its executions (loggingConfig). */
const STATE_MACHINES = registeredWorkflows().map((w) => w.stateMachine);
const LOG_DELIVERY_ACTIONS = [
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies",
  "logs:DescribeLogGroups",
];

/**
 * The reviewed list of `Resource: "*"` grants. A new function that needs `*` adds its entry here, with the reason
 * checked against AWS's Service Authorization Reference; an entry nothing needs any more fails the check too.
 */
export const ALLOWED_WILDCARDS: AllowedWildcard[] = [
  { owner: "*", action: "xray:PutTraceSegments", reason: XRAY },
  { owner: "*", action: "xray:PutTelemetryRecords", reason: XRAY },
  { owner: "*", action: "xray:GetSamplingRules", reason: XRAY },
  { owner: "*", action: "xray:GetSamplingTargets", reason: XRAY },
  { owner: "function:describeKeyStore", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "function:connectPrepare", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "function:connectStart", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "function:connectTellKms", action: "kms:UpdateCustomKeyStore", reason: KMS_CKS },
  { owner: "function:connectCheckStores", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "function:connectCheckStores", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:connectAddHsm", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:connectHsmState", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:followUpCheck", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:connectCheckPath", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:connectSetPassword", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:connectLogoutKmsuser", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:provisionEnsureKmsuser", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:cleanupSweep", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:followUpCheck", action: "cloudhsm:DescribeBackups", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:followUpProofs", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:followUpProofs", action: "cloudhsm:DescribeBackups", reason: CLOUDHSM_DESCRIBE },
  // The deployed self-check (preflight --in-aws) reads what the CLI functions read.
  { owner: "function:selfCheck", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:selfCheck", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  // CreateHsm's dependent EC2 Describe actions (list_cloudhsm), which take no resource ARN (list_amazonec2).
  ...["connectAddHsm", "provisionEnsureHsms"].flatMap((fn) =>
    ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets"].map((action) => ({
      owner: `function:${fn}`,
      action,
      reason: NO_RESOURCE_TYPES("list_amazonec2"),
    })),
  ),
  // --- orphan-cleanup ---
  { owner: "function:cleanupPrepare", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "function:cleanupFinish", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "function:cleanupStart", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "function:cleanupSweep", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "function:cleanupScan", action: "kms:ListKeys", reason: NO_RESOURCE_TYPES("list_awskeymanagementservice") },
  // The approvers' policy (README "Approvers"): answer a waiting approval or signature, find a state machine by name.
  { owner: "role:ApproverPolicy", action: "states:SendTaskSuccess", reason: TASK_TOKEN },
  { owner: "role:ApproverPolicy", action: "states:SendTaskFailure", reason: TASK_TOKEN },
  {
    owner: "role:ApproverPolicy",
    action: "states:ListStateMachines",
    reason: `${NO_RESOURCE_TYPES("list_awsstepfunctions")}; \`approve <name>\` finds orphan-cleanup's ARN by its name`,
  },
  { owner: "stateMachine:orphanCleanup", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "stateMachine:orphanCleanup", action: "kms:DisconnectCustomKeyStore", reason: KMS_CKS },
  // --- connect-key-store: the state machine's own aws-sdk:kms calls ---
  { owner: "stateMachine:connectKeyStore", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "stateMachine:connectKeyStore", action: "kms:DisconnectCustomKeyStore", reason: KMS_CKS },
  { owner: "stateMachine:connectKeyStore", action: "kms:ConnectCustomKeyStore", reason: KMS_CKS },
  // --- provision-key-store ---
  { owner: "stateMachine:provisionKeyStore", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "stateMachine:provisionKeyStore", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "function:provisionPlan", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:provisionEnsureCluster", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:provisionEnsureHsms", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:provisionSignCsr", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:provisionAcceptCertificates", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:provisionActivate", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:provisionCreateKeyStore", action: "cloudhsm:DescribeClusters", reason: CLOUDHSM_DESCRIBE },
  { owner: "function:provisionPlan", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "function:provisionCreateKeyStore", action: "kms:DescribeCustomKeyStores", reason: KMS_CKS },
  { owner: "function:provisionCreateKeyStore", action: "kms:CreateCustomKeyStore", reason: KMS_CKS },
  { owner: "function:provisionEnsureCluster", action: "cloudhsm:CreateCluster", reason: CLOUDHSM_CREATE_CLUSTER },
  { owner: "function:provisionEnsureCluster", action: "ec2:DescribeSubnets", reason: EC2_DESCRIBE },
  { owner: "function:provisionEnsureCluster", action: "ec2:DescribeVpcs", reason: EC2_DESCRIBE },
  { owner: "function:provisionEnsureCluster", action: "ec2:DescribeSecurityGroups", reason: EC2_DESCRIBE },
  ...STATE_MACHINES.flatMap((sm) =>
    LOG_DELIVERY_ACTIONS.map((action) => ({ owner: `stateMachine:${sm}`, action, reason: SFN_LOGGING })),
  ),
];

/** AWS managed policies a role may carry: Lambda's VPC access, added by the framework for functions with `vpc`. */
const ALLOWED_MANAGED_POLICIES = ["service-role/AWSLambdaVPCAccessExecutionRole"];

const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const asRecord = (v: unknown): Raw => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Raw) : {});
const getAttRole = (v: unknown): string | undefined => {
  const att = asRecord(v)["Fn::GetAtt"];
  return Array.isArray(att) && typeof att[0] === "string" ? att[0] : undefined;
};
/** `keystore-autopilot-dev-connectPrepare` → `connectPrepare` (serverless.yml keys are camelCase, no dashes). */
const keyOf = (name: unknown) => (typeof name === "string" ? (name.split("-").pop() ?? name) : undefined);

function resourcesOfType(template: Template, type: string): [string, Raw][] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

/** Who assumes each role: the function or state machine whose role it is, else the role itself. */
function roleOwners(template: Template): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [id, p] of resourcesOfType(template, "AWS::Lambda::Function")) {
    const role = getAttRole(p.Role);
    if (role) owners.set(role, `function:${keyOf(p.FunctionName) ?? id}`);
  }
  for (const [id, p] of resourcesOfType(template, "AWS::StepFunctions::StateMachine")) {
    const role = getAttRole(p.RoleArn);
    if (role) owners.set(role, `stateMachine:${keyOf(p.StateMachineName) ?? id}`);
  }
  return owners;
}

/**
 * Least privilege over every IAM role and policy of the template: no action with a wildcard (`*`, `kms:*`,
 * `kms:Describe*`), no `NotAction`/`NotResource`, and `Resource: "*"` only where the allow-list has the owner and
 * action. Returns one line per violation; an empty list passes.
 */
export function checkIam(template: Template, allowed: AllowedWildcard[] = ALLOWED_WILDCARDS): string[] {
  const problems: string[] = [];
  const owners = roleOwners(template);
  const used = new Set<AllowedWildcard>();
  const documents: { owner: string; where: string; doc: unknown }[] = [];
  for (const [id, p] of resourcesOfType(template, "AWS::IAM::Role")) {
    const owner = owners.get(id) ?? `role:${id}`;
    for (const policy of asArray(p.Policies)) {
      documents.push({ owner, where: `${id} (${owner})`, doc: asRecord(policy).PolicyDocument });
    }
    for (const arn of asArray(p.ManagedPolicyArns)) {
      const text = JSON.stringify(arn);
      if (!ALLOWED_MANAGED_POLICIES.some((name) => text.includes(`:iam::aws:policy/${name}`))) {
        problems.push(`${id} (${owner}): managed policy ${text} is not reviewed`);
      }
    }
  }
  for (const type of ["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"]) {
    for (const [id, p] of resourcesOfType(template, type)) {
      documents.push({ owner: `role:${id}`, where: id, doc: p.PolicyDocument });
    }
  }
  for (const { owner, where, doc } of documents) {
    for (const raw of asArray(asRecord(doc).Statement)) {
      const statement = asRecord(raw);
      if (statement.Effect !== "Allow") continue;
      if ("NotAction" in statement || "NotResource" in statement) {
        problems.push(`${where}: Allow with NotAction/NotResource`);
      }
      const actions = asArray(statement.Action).map(String);
      for (const action of actions.filter((a) => a.includes("*"))) {
        problems.push(`${where}: wildcard action ${action}`);
      }
      if (!asArray(statement.Resource).includes("*")) continue;
      for (const action of actions.filter((a) => !a.includes("*"))) {
        const entry = allowed.find((e) => (e.owner === owner || e.owner === "*") && e.action === action);
        if (entry) used.add(entry);
        else problems.push(`${where}: ${action} on Resource "*" is not on the reviewed allow-list`);
      }
    }
  }
  for (const entry of allowed.filter((e) => !used.has(e))) {
    problems.push(`allow-list entry ${entry.owner} ${entry.action} is not needed any more: remove it`);
  }
  return problems;
}

/** The IAM prefix of each `aws-sdk:<service>` integration the workflows use. */
const SDK_IAM_PREFIX: Record<string, string> = {
  kms: "kms",
  cloudhsmv2: "cloudhsm",
  secretsmanager: "secretsmanager",
  sfn: "states",
  eventbridge: "events",
  dynamodb: "dynamodb",
};

/**
 * serverless-step-functions generates a state machine's permissions for Lambda, nested executions and the like, but
 * not for `aws-sdk:*` integrations: every such call in a definition must be allowed by its state machine's own role,
 * or the deployed workflow fails with AccessDenied on its first call.
 */
export function checkSdkIntegrations(template: Template): string[] {
  const problems: string[] = [];
  for (const [id, p] of resourcesOfType(template, "AWS::StepFunctions::StateMachine")) {
    const name = keyOf(p.StateMachineName) ?? id;
    const definition = JSON.stringify(p.DefinitionString ?? p.Definition ?? "");
    const needed = new Set<string>();
    for (const m of definition.matchAll(/arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)/g)) {
      const [, service = "", action = ""] = m;
      needed.add(`${SDK_IAM_PREFIX[service] ?? service}:${action.charAt(0).toUpperCase()}${action.slice(1)}`);
    }
    const granted = new Set(roleActions(template, getAttRole(p.RoleArn) ?? ""));
    for (const action of needed) {
      if (!granted.has(action))
        problems.push(`stateMachine:${name}: calls ${action} (aws-sdk integration) but its role does not allow it`);
    }
  }
  return problems;
}

/** Every function has a role of its own (never the shared provider role, never another function's). */
export function checkOwnRoles(template: Template): string[] {
  const problems: string[] = [];
  const holders = new Map<string, string>();
  for (const [id, p] of resourcesOfType(template, "AWS::Lambda::Function")) {
    const role = getAttRole(p.Role);
    if (!role) problems.push(`${id}: its role is not a role of this template`);
    else if (role === "IamRoleLambdaExecution")
      problems.push(`${id}: uses the shared provider role (no iamRoleStatements)`);
    else if (holders.has(role)) problems.push(`${id}: shares role ${role} with ${holders.get(role)}`);
    else holders.set(role, id);
  }
  return problems;
}

/** The IAM prefix of the service of each AWS SDK package a function may load. */
const SDK_PACKAGE_IAM_PREFIX: Record<string, string> = {
  "client-kms": "kms",
  "client-cloudhsm-v2": "cloudhsm",
  "client-cloudwatch": "cloudwatch",
  "client-cloudwatch-logs": "logs",
  "client-secrets-manager": "secretsmanager",
  "client-sfn": "states",
  "client-eventbridge": "events",
  "client-dynamodb": "dynamodb",
  "lib-dynamodb": "dynamodb",
};

/**
 * What Lambda itself does with every function's role: write the function's own logs (Lambda Developer Guide,
 * AWSLambdaBasicExecutionRole: logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents). No client of the
 * function calls them, so they ask for none.
 */
const LAMBDA_OWN_LOGS = new Set(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]);

/** The `@aws-sdk/*` packages a bundle requires when it loads (Lambda's runtime provides them; each costs time). */
export function sdkPackagesRequired(bundle: string): string[] {
  return [...new Set([...bundle.matchAll(/require\("@aws-sdk\/([a-z0-9-]+)"\)/g)].map((m) => m[1] ?? ""))].sort();
}

/**
 * An action a function's role holds because AWS authorizes another call with it (a dependent action), not because
 * the function calls its service: it asks for no SDK client of that service.
 */
export type DependentAction = { owner: string; action: string; reason: string };

/** The reviewed dependent actions. An entry whose owner's role no longer holds the action fails the check too. */
export const DEPENDENT_ACTIONS: DependentAction[] = [
  {
    owner: "function:provisionCreateKeyStore",
    action: "cloudhsm:DescribeClusters",
    reason:
      "KMS requires cloudhsm:DescribeClusters of principals who create a CloudHSM key store (KMS Developer Guide, authorize-key-store); createKeyStore itself calls only KMS and Secrets Manager",
  },
];

/** The allowed actions of a role of the template. */
/**
 * The actions a role's own clients call. A KMS statement limited by kms:ViaService is used by that service on the
 * role's behalf (KMS Developer Guide, conditions-kms, kms:ViaService), never by a KMS client, so it is left out.
 */
function roleActions(template: Template, roleId: string): string[] {
  const role = asRecord(template.Resources?.[roleId]?.Properties);
  return asArray(role.Policies).flatMap((policy) =>
    asArray(asRecord(asRecord(policy).PolicyDocument).Statement)
      .map(asRecord)
      .filter(
        (st) => st.Effect === "Allow" && asRecord(asRecord(st.Condition).StringEquals)["kms:ViaService"] === undefined,
      )
      .flatMap((st) => asArray(st.Action).map(String)),
  );
}

/**
 * Each function loads the AWS SDK clients of exactly the services its role allows. A client it loads but may not
 * call costs every cold start for nothing (or its role lacks a permission); a service its role allows that no loaded
 * client calls is a permission nobody uses, unless it is a reviewed dependent action. `bundles` maps a function's
 * logical id to its handler's bundled source.
 */
export function checkSdkClients(
  template: Template,
  bundles: Map<string, string>,
  dependent: DependentAction[] = DEPENDENT_ACTIONS,
): string[] {
  const problems: string[] = [];
  const sdkServices = new Set(Object.values(SDK_PACKAGE_IAM_PREFIX));
  const used = new Set<DependentAction>();
  for (const [id, p] of resourcesOfType(template, "AWS::Lambda::Function")) {
    const name = `function:${keyOf(p.FunctionName) ?? id}`;
    const bundle = bundles.get(id);
    if (bundle === undefined) {
      problems.push(`${name}: its handler's bundle was not found`);
      continue;
    }
    const loaded = sdkPackagesRequired(bundle);
    const actions = roleActions(template, getAttRole(p.Role) ?? "").filter((action) => {
      const entry = dependent.find((e) => e.owner === name && e.action === action);
      if (entry) used.add(entry);
      return !entry;
    });
    const allowed = new Set(actions.filter((a) => !LAMBDA_OWN_LOGS.has(a)).map((a) => a.split(":")[0] ?? ""));
    for (const pkg of loaded) {
      const service = SDK_PACKAGE_IAM_PREFIX[pkg];
      if (!service) problems.push(`${name}: loads @aws-sdk/${pkg}, which no check knows`);
      else if (!allowed.has(service))
        problems.push(`${name}: loads @aws-sdk/${pkg} but its role allows no ${service}: action`);
    }
    const served = new Set(loaded.map((pkg) => SDK_PACKAGE_IAM_PREFIX[pkg]));
    for (const service of [...allowed].filter((s) => sdkServices.has(s) && !served.has(s))) {
      problems.push(`${name}: its role allows ${service}: actions but it loads no client for ${service}`);
    }
  }
  for (const entry of dependent.filter((e) => !used.has(e))) {
    problems.push(`dependent-action entry ${entry.owner} ${entry.action} is not needed any more: remove it`);
  }
  return problems;
}

/** The CloudHSM CLI functions' own security group and the rule that admits it to the cluster's (serverless.yml). */
export const CLI_SECURITY_GROUP = "CliSecurityGroup";
const CLI_PORTS = { FromPort: 2223, ToPort: 2225 };
const NO_VALUE = (v: unknown) => v === undefined || v === "" || asRecord(v).Ref === "AWS::NoValue";

/**
 * Every function that runs the CloudHSM CLI (it has CLOUDHSM_CLI_PATH) is wired to the cluster's VPC with at least
 * one subnet (cliSubnetIds): without them it cannot reach the HSMs; empty lists package but deploy a function outside
 * any VPC, so they fail here too. Every function with a VpcConfig uses the product's CLI security group, and only it.
 * That group has egress rules (none leaves CloudFormation's default allow-all, AWS::EC2::SecurityGroup), none open to
 * 0.0.0.0/0 on all ports, one to the cluster's group on TCP 2223-2225, and the cluster's group admits it on those ports
 * (CloudHSM User Guide, configure-sg, configure-sg-client-instance).
 */
export function checkCliVpc(template: Template): string[] {
  const problems: string[] = [];
  const usesCliGroup = (ids: unknown) =>
    Array.isArray(ids) && ids.length === 1 && asRecord(ids[0]).Ref === CLI_SECURITY_GROUP;
  for (const [id, p] of resourcesOfType(template, "AWS::Lambda::Function")) {
    const name = `function:${keyOf(p.FunctionName) ?? id}`;
    const vpc = asRecord(p.VpcConfig);
    const runsCli = "CLOUDHSM_CLI_PATH" in asRecord(asRecord(p.Environment).Variables);
    if (runsCli && !("SecurityGroupIds" in vpc && "SubnetIds" in vpc)) {
      problems.push(`${name}: runs the CloudHSM CLI but has no VpcConfig`);
      continue;
    }
    if (!("SecurityGroupIds" in vpc)) continue;
    if (!usesCliGroup(vpc.SecurityGroupIds))
      problems.push(`${name}: has a VpcConfig whose security groups are not just ${CLI_SECURITY_GROUP}`);
    // A list, or an intrinsic (Fn::Split, Ref) that only CloudFormation resolves.
    if (Array.isArray(vpc.SubnetIds) && vpc.SubnetIds.length === 0)
      problems.push(`${name}: runs in a VPC with no subnet (cliSubnetIds)`);
  }
  const group = asRecord(asRecord(template.Resources?.[CLI_SECURITY_GROUP]).Properties);
  if (!template.Resources?.[CLI_SECURITY_GROUP]) return [...problems, `${CLI_SECURITY_GROUP}: missing`];
  if (NO_VALUE(group.VpcId)) problems.push(`${CLI_SECURITY_GROUP}: no VpcId (cliVpcId)`);
  const egress = Array.isArray(group.SecurityGroupEgress) ? group.SecurityGroupEgress.map(asRecord) : [];
  if (egress.length === 0) problems.push(`${CLI_SECURITY_GROUP}: no egress rules, so CloudFormation allows all egress`);
  for (const rule of egress) {
    const allPorts =
      String(rule.IpProtocol) === "-1" ||
      rule.FromPort === undefined ||
      (Number(rule.FromPort) <= 0 && Number(rule.ToPort) >= 65535);
    if ((rule.CidrIp === "0.0.0.0/0" || rule.CidrIpv6 === "::/0") && allPorts)
      problems.push(`${CLI_SECURITY_GROUP}: egress open to the internet on all ports`);
  }
  const toCluster = egress.find(
    (r) => r.IpProtocol === "tcp" && r.FromPort === CLI_PORTS.FromPort && r.ToPort === CLI_PORTS.ToPort,
  );
  if (!toCluster || NO_VALUE(toCluster.DestinationSecurityGroupId))
    problems.push(
      `${CLI_SECURITY_GROUP}: no egress to the cluster's security group on TCP 2223-2225 (clusterSecurityGroupId)`,
    );
  const ingress = resourcesOfType(template, "AWS::EC2::SecurityGroupIngress").find(
    ([, r]) => asRecord(r.SourceSecurityGroupId).Ref === CLI_SECURITY_GROUP,
  )?.[1];
  if (
    !ingress ||
    NO_VALUE(ingress.GroupId) ||
    ingress.IpProtocol !== "tcp" ||
    ingress.FromPort !== CLI_PORTS.FromPort ||
    ingress.ToPort !== CLI_PORTS.ToPort
  )
    problems.push(
      `the cluster's security group admits no ${CLI_SECURITY_GROUP} on TCP 2223-2225 (clusterSecurityGroupId)`,
    );
  return problems;
}

/** Names AWS limits in length: IAM roles, Lambda functions, EventBridge rules (64) and state machines (80). */
const NAME_LIMITS: { type: string; property: string; max: number; source: string }[] = [
  { type: "AWS::IAM::Role", property: "RoleName", max: 64, source: "IAM User Guide, reference_iam-quotas" },
  { type: "AWS::Lambda::Function", property: "FunctionName", max: 64, source: "Lambda API Reference, CreateFunction" },
  { type: "AWS::Events::Rule", property: "Name", max: 64, source: "EventBridge API Reference, PutRule" },
  {
    type: "AWS::StepFunctions::StateMachine",
    property: "StateMachineName",
    max: 80,
    source: "Step Functions API Reference, CreateStateMachine",
  },
];

/**
 * A name as CloudFormation would make it in `region`: plain strings, `Ref` to the Region and partition and the
 * account id, `Fn::Join` and `Fn::Sub` of those. Undefined for anything else (the check then cannot measure it).
 */
export function resolveName(value: unknown, region: string): string | undefined {
  const pseudo: Record<string, string> = {
    "AWS::Region": region,
    "AWS::Partition": "aws-us-gov", // the longest partition name a Region here can have
    "AWS::AccountId": "123456789012",
  };
  if (typeof value === "string") return value;
  const v = asRecord(value);
  if (typeof v.Ref === "string") return pseudo[v.Ref];
  const join = v["Fn::Join"];
  if (Array.isArray(join) && typeof join[0] === "string" && Array.isArray(join[1])) {
    const parts = join[1].map((part) => resolveName(part, region));
    return parts.every((part) => part !== undefined) ? parts.join(join[0]) : undefined;
  }
  const sub = v["Fn::Sub"];
  if (typeof sub === "string") {
    const names = [...sub.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1] ?? "");
    if (names.some((name) => pseudo[name] === undefined)) return undefined;
    return sub.replace(/\$\{([^}]+)\}/g, (_m, name: string) => pseudo[name] ?? "");
  }
  return undefined;
}

/**
 * Every name the template sets is within AWS's limit in `region`; an absent name is generated by CloudFormation
 * and fits. Stages and Regions longer than `dev` and `us-east-1` are where generated names overflow.
 */
export function checkNameLengths(template: Template, region: string): string[] {
  const problems: string[] = [];
  for (const { type, property, max, source } of NAME_LIMITS) {
    for (const [id, p] of resourcesOfType(template, type)) {
      if (!(property in p)) continue;
      const name = resolveName(p[property], region);
      if (name === undefined) problems.push(`${id}: ${property} ${JSON.stringify(p[property])} cannot be measured`);
      else if (name.length > max)
        problems.push(`${id}: ${property} ${name} is ${name.length} characters, over ${max} (${source})`);
    }
  }
  return problems;
}

/** The property naming each resource type whose name must be unique per account and Region. */
const NAME_PROPERTIES: Record<string, string> = {
  "AWS::DynamoDB::Table": "TableName",
  "AWS::SQS::Queue": "QueueName",
  "AWS::SNS::Topic": "TopicName",
  "AWS::Logs::LogGroup": "LogGroupName",
};

/**
 * No resource the stack retains (DeletionPolicy Retain) has a fixed name: it outlives a deleted stack, and the next
 * deploy of the same stage would fail creating a second resource of that name. Such resources are left for
 * CloudFormation to name, and the functions read the name from a Ref.
 */
export function checkRetainedNames(template: Template): string[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.DeletionPolicy === "Retain")
    .filter(([, r]) => {
      const property = NAME_PROPERTIES[r.Type ?? ""];
      return property !== undefined && r.Properties?.[property] !== undefined;
    })
    .map(
      ([id, r]) => `${id}: retained with a fixed ${NAME_PROPERTIES[r.Type ?? ""]}, which a redeploy would collide with`,
    );
}

/** A `Fn::GetAtt [id, Arn]` or `Ref id` target: the logical id. */
const targetId = (v: unknown): string | undefined => getAttRole(v) ?? (asRecord(v).Ref as string | undefined);

/**
 * Nothing EventBridge delivers is dropped silently: every rule target has a retry policy and a dead-letter queue;
 * every rule has an alarm on the events it could not put in that queue (InvocationsFailedToBeSentToDlq, by its name);
 * every function a rule invokes (asynchronously) has an on-failure destination and an alarm on its Errors; every
 * such queue has an alarm on its depth; every alarm topic is encrypted with a key of the template whose policy lets
 * CloudWatch use it (alias/aws/sns cannot); every state machine logs its executions without their data.
 */
export function checkNothingDropped(template: Template): string[] {
  const problems: string[] = [];
  const resources = template.Resources ?? {};
  const alarms = resourcesOfType(template, "AWS::CloudWatch::Alarm").map(([, p]) => p);
  const alarmOn = (namespace: string, metric: string, dimension: (v: unknown) => boolean) =>
    alarms.find(
      (a) =>
        a.Namespace === namespace &&
        a.MetricName === metric &&
        asArray(a.Dimensions).some((d) => dimension(asRecord(d).Value)) &&
        asArray(a.AlarmActions).length > 0,
    );
  const queues = new Set<string>();
  const asyncFunctions = new Set<string>();
  const notQueuedAlarmed = (name: unknown) =>
    alarms.some(
      (a) =>
        asArray(a.AlarmActions).length > 0 &&
        asArray(a.Metrics).some((m) => {
          const metric = asRecord(asRecord(asRecord(m).MetricStat).Metric);
          return (
            metric.Namespace === "AWS/Events" &&
            metric.MetricName === "InvocationsFailedToBeSentToDlq" &&
            asArray(metric.Dimensions).some(
              (d) => asRecord(d).Name === "RuleName" && JSON.stringify(asRecord(d).Value) === JSON.stringify(name),
            )
          );
        }),
    );
  for (const [id, p] of resourcesOfType(template, "AWS::Events::Rule")) {
    if (!notQueuedAlarmed(p.Name))
      problems.push(`${id}: no alarm on the events it could not put in its dead-letter queue`);
    for (const raw of asArray(p.Targets)) {
      const target = asRecord(raw);
      const targetName = `${id} target ${String(target.Id)}`;
      const retry = asRecord(target.RetryPolicy);
      if (typeof retry.MaximumRetryAttempts !== "number" || typeof retry.MaximumEventAgeInSeconds !== "number")
        problems.push(`${targetName}: no retry policy`);
      const dlq = targetId(asRecord(target.DeadLetterConfig).Arn);
      if (dlq === undefined) problems.push(`${targetName}: no dead-letter queue of this stack`);
      else queues.add(dlq);
      const to = targetId(target.Arn);
      if (to && resources[to]?.Type === "AWS::Lambda::Function") asyncFunctions.add(to);
    }
  }
  const invokeConfigs = resourcesOfType(template, "AWS::Lambda::EventInvokeConfig").map(([, p]) => p);
  for (const fn of asyncFunctions) {
    const config = invokeConfigs.find((c) => targetId(c.FunctionName) === fn);
    const destination = targetId(asRecord(asRecord(asRecord(config?.DestinationConfig).OnFailure).Destination));
    if (destination === undefined) problems.push(`${fn}: invoked by EventBridge but has no on-failure destination`);
    else queues.add(destination);
    if (!alarmOn("AWS/Lambda", "Errors", (v) => targetId(v) === fn))
      problems.push(`${fn}: invoked by EventBridge but no alarm on its Errors`);
  }
  for (const queue of queues) {
    if (!alarmOn("AWS/SQS", "ApproximateNumberOfMessagesVisible", (v) => targetId(v) === queue))
      problems.push(`${queue}: failed events land in it but no alarm on its depth`);
  }
  for (const [id, p] of resourcesOfType(template, "AWS::SNS::Topic")) {
    const key = targetId(p.KmsMasterKeyId);
    const policy = JSON.stringify(asRecord(resources[key ?? ""]?.Properties).KeyPolicy ?? null);
    if (key === undefined || resources[key]?.Type !== "AWS::KMS::Key")
      problems.push(`${id}: not encrypted with a key of this stack (CloudWatch cannot use alias/aws/sns)`);
    else if (!policy.includes('"cloudwatch.amazonaws.com"') || !policy.includes('"kms:Decrypt"'))
      problems.push(`${id}: its key's policy does not let cloudwatch.amazonaws.com use it`);
  }
  for (const [id, p] of resourcesOfType(template, "AWS::StepFunctions::StateMachine")) {
    const logging = asRecord(p.LoggingConfiguration);
    if (logging.Level !== "ERROR" && logging.Level !== "ALL" && logging.Level !== "FATAL")
      problems.push(`${id}: no execution logging`);
    else if (logging.IncludeExecutionData !== false) problems.push(`${id}: execution logs include execution data`);
    else if (asArray(logging.Destinations).length === 0) problems.push(`${id}: execution logging has no log group`);
  }
  return problems;
}

/**
 * The sources a rule may match: AWS's own services, and our alerts (a follow-up's orphan books a window). No rule
 * matches an operator's event: approving, denying or booking by hand goes through Step Functions calls IAM authorizes
 * (README "Approvers"), since anyone with events:PutEvents on the bus can put any other source.
 */
export const RULE_SOURCES = ["aws.kms", "aws.cloudhsm", "keystore-autopilot"];

/** Every EventBridge rule with a pattern names its sources, all of them in RULE_SOURCES. */
export function checkRuleSources(template: Template, allowed: string[] = RULE_SOURCES): string[] {
  const problems: string[] = [];
  for (const [id, p] of resourcesOfType(template, "AWS::Events::Rule")) {
    if (p.EventPattern === undefined) continue;
    const pattern = asRecord(typeof p.EventPattern === "string" ? JSON.parse(p.EventPattern) : p.EventPattern);
    const sources = asArray(pattern.source);
    if (sources.length === 0) problems.push(`${id}: matches events of any source`);
    for (const source of sources.filter((s) => typeof s !== "string" || !allowed.includes(s))) {
      problems.push(
        `${id}: matches source ${JSON.stringify(source)}, which anyone with events:PutEvents can send (allowed: ${allowed.join(", ")})`,
      );
    }
  }
  return problems;
}

/**
 * Deploy-side observability: every state machine has an ExecutionsFailed alarm with an action and tracing on;
 * every function has active tracing and a log group with a retention; every log group has a retention.
 */
export function checkObservability(template: Template): string[] {
  const problems: string[] = [];
  const alarms = resourcesOfType(template, "AWS::CloudWatch::Alarm").map(([, p]) => p);
  for (const [id, p] of resourcesOfType(template, "AWS::StepFunctions::StateMachine")) {
    const alarm = alarms.find(
      (a) =>
        a.Namespace === "AWS/States" &&
        a.MetricName === "ExecutionsFailed" &&
        asArray(a.Dimensions).some((d) => asRecord(asRecord(d).Value).Ref === id),
    );
    if (!alarm) problems.push(`${id}: no CloudWatch alarm on ExecutionsFailed`);
    else if (asArray(alarm.AlarmActions).length === 0)
      problems.push(`${id}: its ExecutionsFailed alarm notifies nobody`);
    if (asRecord(p.TracingConfiguration).Enabled !== true) problems.push(`${id}: X-Ray tracing is off`);
  }
  const logGroups = resourcesOfType(template, "AWS::Logs::LogGroup");
  for (const [id, p] of logGroups) {
    if (typeof p.RetentionInDays !== "number") problems.push(`${id}: log group without RetentionInDays`);
  }
  const names = new Set(logGroups.map(([, p]) => p.LogGroupName));
  const roles = new Map(resourcesOfType(template, "AWS::IAM::Role"));
  for (const [id, p] of resourcesOfType(template, "AWS::Lambda::Function")) {
    if (asRecord(p.TracingConfig).Mode !== "Active") problems.push(`${id}: X-Ray tracing is not Active`);
    // Lambda refuses active tracing when the execution role cannot send segments.
    const role = roles.get(getAttRole(p.Role) ?? "");
    if (!JSON.stringify(role?.Policies ?? []).includes('"xray:PutTraceSegments"')) {
      problems.push(`${id}: its role lacks xray:PutTraceSegments, which active tracing needs`);
    }
    if (!names.has(`/aws/lambda/${String(p.FunctionName)}`)) problems.push(`${id}: no log group of its own`);
  }
  return problems;
}

/** What the dashboard plots (README "Metrics, alarms and the dashboard"): each metric name appears in a SEARCH. */
export const DASHBOARD_METRICS = [
  "Connected",
  "MinutesSinceLastConnect",
  "ActiveHsms",
  "OpenOrphans",
  "OldestOpenOrphanDays",
  "KeysPendingDeletion",
  "OpenProofs",
  "BackupsHoldingDeletedMaterial",
  "ExecutionsFailed",
  "HsmUnhealthy",
  "HsmSessionCount",
];

/** The Metrics Insights alarms the signals need: a fragment of each query, and what it alarms on. */
export const SIGNAL_ALARMS: [query: string, what: string][] = [
  ["MAX(MinutesSinceLastConnect)", "a store not connected (MinutesSinceLastConnect)"],
  ['MAX(HsmUnhealthy) FROM "AWS/CloudHSM"', "HsmUnhealthy (AWS/CloudHSM)"],
  ["MAX(OldestOpenOrphanDays)", "an orphan open too long (OldestOpenOrphanDays)"],
  ['MAX(HsmSessionCount) FROM "AWS/CloudHSM" GROUP BY ClusterId', "HSM sessions per cluster (HsmSessionCount)"],
];

/**
 * The connection-state signals are deployed: one dashboard whose widgets find their series with SEARCH (so a new
 * store shows without a redeploy), the per-store dashboard the store check fills, an alarm on the product's MinutesSinceLastConnect and one on CloudHSM's
 * HsmUnhealthy (namespace AWS/CloudHSM), each a Metrics Insights query that notifies someone.
 */
export function checkSignals(template: Template): string[] {
  const problems: string[] = [];
  const all = resourcesOfType(template, "AWS::CloudWatch::Dashboard");
  // The per-store one (`<service>-<stage>-stores`) is the stack's, its rows the store check's (src/store-signals/dashboard.ts).
  const perStore = all.filter(([, p]) => String(p.DashboardName ?? "").endsWith("-stores"));
  const dashboards = all.filter(([, p]) => !String(p.DashboardName ?? "").endsWith("-stores"));
  if (dashboards.length !== 1) problems.push(`${dashboards.length} dashboards, not one per stage`);
  if (perStore.length !== 1) problems.push(`${perStore.length} per-store dashboards (<stage>-stores), not one`);
  const body = JSON.stringify(dashboards.map(([, p]) => p.DashboardBody));
  for (const metric of DASHBOARD_METRICS) {
    if (!new RegExp(`SEARCH\\(.*${metric}`).test(body)) problems.push(`the dashboard has no SEARCH for ${metric}`);
  }
  // A quoted term is an exact match of a whole name or value (CloudWatch User Guide, search-expression-syntax): a
  // quoted piece of an ARN matches no series, and its widget stays empty without an error.
  for (const [, term] of dashboardText(dashboards.map(([, p]) => p)).matchAll(/\\"([^"\\]*:[^"\\]*)\\"/g)) {
    if (!term?.startsWith("arn:"))
      problems.push(`the dashboard quotes part of an ARN ("${term}"), which matches nothing`);
  }
  const alarms = resourcesOfType(template, "AWS::CloudWatch::Alarm").map(([, p]) => p);
  const queried = (text: string) =>
    alarms.find(
      (a) =>
        asArray(a.Metrics).some((m) => String(asRecord(m).Expression ?? "").includes(text)) &&
        asArray(a.AlarmActions).length > 0,
    );
  for (const [query, what] of SIGNAL_ALARMS) if (!queried(query)) problems.push(`no alarm on ${what}`);
  return problems;
}

/** The dashboards' bodies as CloudWatch receives them (a string, or the string of an `Fn::Sub`). */
function dashboardText(dashboards: Raw[]): string {
  return dashboards
    .map((p) => {
      const body = p.DashboardBody;
      const sub = asRecord(body)["Fn::Sub"];
      return typeof body === "string" ? body : typeof sub === "string" ? sub : "";
    })
    .join("\n");
}

/** The function zips in `dir` with their sizes, largest first. */
export function bundleSizes(dir: string): { file: string; bytes: number }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".zip"))
    .map((file) => ({ file, bytes: statSync(join(dir, file)).size }))
    .sort((a, b) => b.bytes - a.bytes);
}

/** Every zip at or under `max` bytes. */
export function checkBundleSizes(sizes: { file: string; bytes: number }[], max = MAX_ZIP_BYTES): string[] {
  if (sizes.length === 0) return ["no function zips found"];
  return sizes
    .filter((s) => s.bytes > max)
    .map((s) => `${s.file}: ${(s.bytes / 1024).toFixed(1)} KiB zipped, over the ${max / 1024} KiB budget`);
}

/**
 * A Lambda task's TimeoutSeconds must exceed its function's timeout: when they are equal, States.Timeout races the
 * function's own timeout (Sandbox.Timedout, which the Retry lists handle) and the task fails without its retries.
 */
export function checkTaskTimeouts(template: Template): string[] {
  const problems: string[] = [];
  const timeouts = new Map(
    resourcesOfType(template, "AWS::Lambda::Function").map(([id, p]) => [id, Number(p.Timeout ?? 3)] as const),
  );
  for (const [id, p] of resourcesOfType(template, "AWS::StepFunctions::StateMachine")) {
    const name = keyOf(p.StateMachineName) ?? id;
    const sub = (p.DefinitionString as { "Fn::Sub"?: [string, Record<string, unknown>] } | undefined)?.["Fn::Sub"];
    if (!sub) continue;
    const [text, vars] = sub;
    const functionOf = new Map(
      Object.entries(vars ?? {}).map(([v, ref]) => [
        `\${${v}}`,
        (ref as { "Fn::GetAtt"?: string[] })["Fn::GetAtt"]?.[0],
      ]),
    );
    const visit = (states: Record<string, Raw>) => {
      for (const [state, s] of Object.entries(states)) {
        const fn = functionOf.get(String(s.Resource));
        const limit = fn ? timeouts.get(fn) : undefined;
        if (s.Type === "Task" && limit !== undefined && !(Number(s.TimeoutSeconds) > limit)) {
          problems.push(
            `stateMachine:${name}: task ${state} times out at ${String(s.TimeoutSeconds)} s, not after its function's ${limit} s`,
          );
        }
        for (const branch of (s.Branches as { States: Record<string, Raw> }[] | undefined) ?? []) visit(branch.States);
      }
    };
    visit((JSON.parse(text) as { States: Record<string, Raw> }).States);
  }
  return problems;
}

/** A state machine's definition, whether packaged as a string or as an `Fn::Sub` of a string. */
function definitionOf(p: Raw): { States?: Record<string, Raw> } | undefined {
  const d = p.DefinitionString;
  const sub = asRecord(d)["Fn::Sub"];
  const text = typeof d === "string" ? d : typeof sub === "string" ? sub : Array.isArray(sub) ? sub[0] : undefined;
  return typeof text === "string" ? (JSON.parse(text) as { States?: Record<string, Raw> }) : undefined;
}

/**
 * One retry policy per kind of error in each workflow: retriers that list the same errors back off the same way
 * (IntervalSeconds, BackoffRate, MaxDelaySeconds, JitterStrategy), so a pasted copy that drifts fails here, naming
 * both states. MaxAttempts is the step's own bound and may differ. The ASL files share them with YAML anchors.
 */
export function checkRetryPolicies(template: Template): string[] {
  const problems: string[] = [];
  for (const [id, p] of resourcesOfType(template, "AWS::StepFunctions::StateMachine")) {
    const name = keyOf(p.StateMachineName) ?? id;
    const seen = new Map<string, { state: string; backoff: string }>();
    const visit = (states: Record<string, Raw>) => {
      for (const [state, s] of Object.entries(states)) {
        for (const retrier of asArray(s.Retry).map(asRecord)) {
          const kind = asArray(retrier.ErrorEquals).map(String).sort().join(", ");
          const { IntervalSeconds, BackoffRate, MaxDelaySeconds, JitterStrategy } = retrier;
          const backoff = JSON.stringify({ IntervalSeconds, BackoffRate, MaxDelaySeconds, JitterStrategy });
          const first = seen.get(kind);
          if (!first) seen.set(kind, { state, backoff });
          else if (first.backoff !== backoff)
            problems.push(
              `stateMachine:${name}: ${state} retries [${kind}] with ${backoff}, ${first.state} with ${first.backoff}`,
            );
        }
        for (const branch of asArray(s.Branches).map(asRecord)) visit(asRecord(branch.States) as Record<string, Raw>);
        for (const inner of [s.ItemProcessor, s.Iterator].map(asRecord))
          visit(asRecord(inner.States) as Record<string, Raw>);
      }
    };
    visit((definitionOf(p)?.States ?? {}) as Record<string, Raw>);
  }
  return problems;
}

/**
 * The ARNs this stack builds are built one way: `Fn::Sub` of `arn:${AWS::Partition}:…` with `${AWS::Region}` and
 * `${AWS::AccountId}`. A literal `arn:aws:` is wrong in the other partitions (aws-cn, aws-us-gov: IAM User Guide,
 * reference-arns), and an `Fn::Join` of parts is a second way to read and review. Checked where serverless.yml and the
 * ASL build them: role statements, function environments and the values substituted into state machine definitions.
 */
export function checkArnForms(template: Template): string[] {
  const problems: string[] = [];
  const visit = (where: string, value: unknown) => {
    if (typeof value === "string") {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub template, not a JavaScript one
      if (value.startsWith("arn:") && !value.startsWith("arn:${AWS::Partition}:"))
        problems.push(`${where}: ${value} names its partition; build it with Fn::Sub and \${AWS::Partition}`);
      return;
    }
    const join = asRecord(value)["Fn::Join"];
    if (join !== undefined && JSON.stringify(join).includes('"arn:')) {
      problems.push(`${where}: an ARN built with Fn::Join; build it with Fn::Sub`);
      return;
    }
    const sub = asRecord(value)["Fn::Sub"];
    if (sub !== undefined) return visit(where, Array.isArray(sub) ? sub[0] : sub);
    for (const item of Array.isArray(value) ? value : Object.values(asRecord(value))) visit(where, item);
  };
  for (const [id, p] of resourcesOfType(template, "AWS::IAM::Role")) {
    for (const policy of asArray(p.Policies)) {
      for (const statement of asArray(asRecord(asRecord(policy).PolicyDocument).Statement)) {
        visit(id, asRecord(statement).Resource);
      }
    }
  }
  for (const [id, p] of resourcesOfType(template, "AWS::Lambda::Function")) {
    visit(id, asRecord(p.Environment).Variables);
  }
  for (const [id, p] of resourcesOfType(template, "AWS::StepFunctions::StateMachine")) {
    const sub = asRecord(p.DefinitionString)["Fn::Sub"];
    if (Array.isArray(sub)) visit(id, sub[1]);
  }
  return problems;
}

/** Who may read each kind of secret (src/secret-names.ts): the CA key only where certificates are signed, and so on. */
export const SECRET_READERS: Record<string, string[]> = {
  "managed-ca": ["function:provisionSignCsr"],
  "customer-ca": ["function:provisionSignCsr"],
  admin: [
    "function:connectCheckPath",
    "function:connectSetPassword",
    "function:provisionActivate",
    "function:provisionEnsureKmsuser",
  ],
  kmsuser: [
    "function:connectStagePassword",
    "function:connectSetPassword",
    "function:connectTellKms",
    "function:connectLogoutKmsuser",
    "function:connectMarkRotated",
    "function:cleanupSweep",
  ],
  "initial-kmsuser": ["function:provisionEnsureKmsuser", "function:provisionCreateKeyStore"],
  // The CLI functions configure the CloudHSM CLI with it at run time (its --hsm-ca-cert); it is public.
  "trust-anchor": [
    "function:provisionAcceptCertificates",
    "function:provisionCreateKeyStore",
    "function:connectCheckPath",
    "function:connectSetPassword",
    "function:connectLogoutKmsuser",
    "function:provisionActivate",
    "function:provisionEnsureKmsuser",
    "function:cleanupSweep",
    "function:selfCheck",
  ],
};
/** Actions that change a secret's value or create one: each kind written only by the steps that make it. */
const SECRET_WRITES = [
  "secretsmanager:PutSecretValue",
  "secretsmanager:CreateSecret",
  "secretsmanager:UpdateSecretVersionStage",
  "secretsmanager:PutResourcePolicy",
];
export const SECRET_WRITERS: Record<string, string[]> = {
  "managed-ca": ["function:provisionSignCsr"],
  "customer-ca": [],
  admin: ["function:provisionActivate"],
  kmsuser: [
    "function:connectPrepare",
    "function:cleanupPrepare",
    "function:connectStagePassword",
    "function:connectTellKms",
    "function:connectMarkRotated",
  ],
  "initial-kmsuser": ["function:provisionEnsureKmsuser"],
  "trust-anchor": ["function:provisionAcceptCertificates"],
};

/** The text of a Resource entry: a string, or the template string of an Fn::Sub. */
const resourceText = (r: unknown): string => {
  if (typeof r === "string") return r;
  const sub = asRecord(r)["Fn::Sub"];
  return typeof sub === "string" ? sub : Array.isArray(sub) && typeof sub[0] === "string" ? sub[0] : JSON.stringify(r);
};

/**
 * Secrets by kind over every role: a Secrets Manager action names secrets as `…:secret:keystore-autopilot/<kind>/*`
 * (never the whole prefix, never "*"), and reads (GetSecretValue) and writes of a kind only in the roles
 * SECRET_READERS and SECRET_WRITERS list.
 */
export function checkSecretKinds(template: Template): string[] {
  const problems: string[] = [];
  const owners = roleOwners(template);
  for (const [id, p] of resourcesOfType(template, "AWS::IAM::Role")) {
    const owner = owners.get(id) ?? `role:${id}`;
    for (const policy of asArray(p.Policies)) {
      for (const raw of asArray(asRecord(asRecord(policy).PolicyDocument).Statement)) {
        const statement = asRecord(raw);
        if (statement.Effect !== "Allow") continue;
        const actions = asArray(statement.Action)
          .map(String)
          .filter((a) => a.startsWith("secretsmanager:"));
        if (actions.length === 0) continue;
        for (const resource of asArray(statement.Resource).map(resourceText)) {
          const kind = /:secret:keystore-autopilot\/([a-z-]+)\/\*$/.exec(resource)?.[1];
          if (!kind || !(kind in SECRET_READERS)) {
            problems.push(`${id} (${owner}): ${actions.join(", ")} on ${resource}, not on one kind of secret`);
            continue;
          }
          if (actions.includes("secretsmanager:GetSecretValue") && !SECRET_READERS[kind]?.includes(owner)) {
            problems.push(
              `${id} (${owner}): may read the ${kind} secrets, which only ${SECRET_READERS[kind]?.join(", ")} may`,
            );
          }
          for (const action of actions.filter((a) => SECRET_WRITES.includes(a))) {
            if (!SECRET_WRITERS[kind]?.includes(owner))
              problems.push(`${id} (${owner}): ${action} on the ${kind} secrets`);
          }
        }
      }
    }
  }
  return problems;
}

/** The logical id of the stack's key for secrets (serverless.yml resources SecretsKey). */
export const SECRETS_KEY = "SecretsKey";
const SECRET_VALUE_READS = ["secretsmanager:GetSecretValue"];
const SECRET_VALUE_WRITES = ["secretsmanager:PutSecretValue", "secretsmanager:CreateSecret"];

const namesSecretsKey = (resource: unknown) => getAttRole(resource) === SECRETS_KEY;
/** The condition that lets only Secrets Manager use the key for the caller (security-encryption). */
const viaSecretsManager = (condition: unknown) =>
  JSON.stringify(asRecord(asRecord(condition).StringEquals)["kms:ViaService"] ?? null).includes("secretsmanager.");

/** The kind and role ids a SECRET_PRINCIPALS value names: `{"<kind>":["<GetAtt role>", ...]}` built with Fn::Join. */
function principalsOf(value: unknown): { kind: string; roles: string[] } | undefined {
  const parts = asArray(asArray(asRecord(value)["Fn::Join"])[1]);
  const kind = /^\{"([a-z-]+)":\["$/.exec(String(parts[0]))?.[1];
  if (!kind) return undefined;
  const roles = asArray(asArray(asRecord(parts[1])["Fn::Join"])[1])
    .map(getAttRole)
    .filter((r): r is string => r !== undefined);
  return { kind, roles };
}

/**
 * The secrets' resource policies deny their value to every role but those SECRET_PRINCIPALS names (src/secret-policy.ts),
 * so those lists must be exactly the roles IAM lets read or write the kind: one missing is denied in AWS (the local
 * account does not enforce resource policies), one too many may read what IAM never meant it to.
 */
export function checkSecretPolicies(template: Template): string[] {
  const problems: string[] = [];
  const owners = roleOwners(template);
  const granted = new Map<string, Set<string>>();
  for (const [id, p] of resourcesOfType(template, "AWS::IAM::Role")) {
    for (const policy of asArray(p.Policies)) {
      for (const raw of asArray(asRecord(asRecord(policy).PolicyDocument).Statement)) {
        const statement = asRecord(raw);
        const actions = asArray(statement.Action).map(String);
        if (statement.Effect !== "Allow") continue;
        if (!actions.some((a) => a === "secretsmanager:GetSecretValue" || a === "secretsmanager:PutSecretValue")) {
          continue;
        }
        for (const resource of asArray(statement.Resource).map(resourceText)) {
          const kind = /:secret:keystore-autopilot\/([a-z-]+)\/\*$/.exec(resource)?.[1];
          if (kind) granted.set(kind, (granted.get(kind) ?? new Set()).add(id));
        }
      }
    }
  }
  for (const [id, p] of resourcesOfType(template, "AWS::Lambda::Function")) {
    const value = asRecord(asRecord(p.Environment).Variables).SECRET_PRINCIPALS;
    if (value === undefined) continue;
    const named = principalsOf(value);
    if (!named) {
      problems.push(`${id}: SECRET_PRINCIPALS is not {"<kind>":[role ARNs]} built from the roles`);
      continue;
    }
    const expected = granted.get(named.kind) ?? new Set<string>();
    const name = (role: string) => `${role} (${owners.get(role) ?? "no owner"})`;
    for (const role of expected) {
      if (!named.roles.includes(role)) {
        problems.push(`${id}: the ${named.kind} secrets' policy would deny ${name(role)}, which IAM lets use them`);
      }
    }
    for (const role of named.roles) {
      if (!expected.has(role)) {
        problems.push(`${id}: the ${named.kind} secrets' policy admits ${name(role)}, which IAM does not let use them`);
      }
    }
  }
  return problems;
}

/**
 * The secrets key and who uses it: the key rotates and its policy allows use only through Secrets Manager; every
 * role that reads a secret's value may kms:Decrypt with the key, every role that writes or creates one also
 * kms:GenerateDataKey, each scoped to the key's ARN with kms:ViaService (Secrets Manager User Guide,
 * security-encryption, "Permissions for the KMS key"); no other role has any KMS action on it; and every function
 * that may create a secret is told the key and the roles of its kinds (SECRETS_KMS_KEY_ARN, SECRET_PRINCIPALS).
 */
export function checkSecretsKey(template: Template): string[] {
  const problems: string[] = [];
  const key = template.Resources?.[SECRETS_KEY];
  if (key?.Type !== "AWS::KMS::Key") return [`${SECRETS_KEY}: no AWS::KMS::Key for the secrets`];
  const keyProps = key.Properties ?? {};
  if (keyProps.EnableKeyRotation !== true) problems.push(`${SECRETS_KEY}: key rotation is off`);
  for (const raw of asArray(asRecord(keyProps.KeyPolicy).Statement)) {
    const s = asRecord(raw);
    const crypto = asArray(s.Action)
      .map(String)
      .filter((a) => a === "kms:*" || /^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt)/.test(a));
    if (s.Effect === "Allow" && crypto.length > 0 && !viaSecretsManager(s.Condition))
      problems.push(`${SECRETS_KEY}: key policy allows ${crypto.join(", ")} other than through Secrets Manager`);
  }
  const owners = roleOwners(template);
  const creators = new Set<string>();
  for (const [id, p] of resourcesOfType(template, "AWS::IAM::Role")) {
    const owner = owners.get(id) ?? `role:${id}`;
    const secretActions = new Set<string>();
    const keyActions = new Set<string>();
    for (const policy of asArray(p.Policies)) {
      for (const raw of asArray(asRecord(asRecord(policy).PolicyDocument).Statement)) {
        const s = asRecord(raw);
        if (s.Effect !== "Allow") continue;
        const actions = asArray(s.Action).map(String);
        for (const a of actions.filter((a) => a.startsWith("secretsmanager:"))) secretActions.add(a);
        const kms = actions.filter((a) => a.startsWith("kms:"));
        if (kms.length === 0 || !asArray(s.Resource).some(namesSecretsKey)) continue;
        if (!viaSecretsManager(s.Condition))
          problems.push(`${id} (${owner}): ${kms.join(", ")} on the secrets key without kms:ViaService`);
        if (asArray(s.Resource).length > 1)
          problems.push(`${id} (${owner}): the secrets key's statement names other resources too`);
        for (const a of kms) keyActions.add(a);
      }
    }
    const reads = SECRET_VALUE_READS.some((a) => secretActions.has(a));
    const writes = SECRET_VALUE_WRITES.some((a) => secretActions.has(a));
    if (secretActions.has("secretsmanager:CreateSecret")) creators.add(id);
    const needed = [...(reads || writes ? ["kms:Decrypt"] : []), ...(writes ? ["kms:GenerateDataKey"] : [])];
    for (const a of needed.filter((a) => !keyActions.has(a)))
      problems.push(`${id} (${owner}): uses secret values but has no ${a} on the secrets key`);
    for (const a of [...keyActions].filter((a) => !needed.includes(a)))
      problems.push(`${id} (${owner}): ${a} on the secrets key, which it does not need`);
  }
  for (const [id, p] of resourcesOfType(template, "AWS::Lambda::Function")) {
    if (!creators.has(getAttRole(p.Role) ?? "")) continue;
    const env = asRecord(asRecord(p.Environment).Variables);
    if (!namesSecretsKey(env.SECRETS_KMS_KEY_ARN))
      problems.push(`${id}: may create secrets but SECRETS_KMS_KEY_ARN is not the secrets key's ARN`);
    if (env.SECRET_PRINCIPALS === undefined)
      problems.push(`${id}: may create secrets but has no SECRET_PRINCIPALS for their resource policy`);
  }
  return problems;
}

/** `connectPrepare` → `connect-prepare`: the file under functions/ a handler key lives in. */
export const handlerFileOf = (key: string) => `functions/${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * The registry (src/workflows/index.ts) against the packaged template: every registered state machine and handler
 * key is deployed, each handler lives in functions/<kebab-case key>.ts, every state machine of the template is
 * registered, and each workflow's settings are what serverless.yml sets on its functions (beyond the variables every
 * function has).
 */
export function checkWorkflowRegistry(
  template: Template,
  workflows: WorkflowEntry[] = registeredWorkflows(),
): string[] {
  const problems: string[] = [];
  const machines = new Set(
    resourcesOfType(template, "AWS::StepFunctions::StateMachine").map(([id, p]) => keyOf(p.StateMachineName) ?? id),
  );
  const functions = new Map(
    resourcesOfType(template, "AWS::Lambda::Function").map(([id, p]) => [
      keyOf(p.FunctionName) ?? id,
      { handler: String(p.Handler), variables: Object.keys(asRecord(asRecord(p.Environment).Variables)) },
    ]),
  );
  const everywhere = [...functions.values()]
    .map((f) => f.variables)
    .reduce<string[] | undefined>((common, v) => (common ? common.filter((k) => v.includes(k)) : v), undefined);
  const registered = new Set(workflows.map((w) => w.stateMachine));
  for (const sm of machines) {
    if (!registered.has(sm))
      problems.push(`stateMachine:${sm}: in the template but no workflow of src/workflows registers it`);
  }
  for (const w of workflows) {
    if (!machines.has(w.stateMachine)) {
      problems.push(`workflow ${w.name}: its state machine ${w.stateMachine} is not in the template`);
    }
    const own = new Set<string>();
    for (const key of w.handlers) {
      const fn = functions.get(key);
      if (!fn) {
        problems.push(`workflow ${w.name}: its handler ${key} is not a function of the template`);
        continue;
      }
      if (fn.handler !== `${handlerFileOf(key)}.handler`) {
        problems.push(`function:${key}: handler ${fn.handler}, not ${handlerFileOf(key)}.handler`);
      }
      for (const v of fn.variables) if (!everywhere?.includes(v)) own.add(v);
    }
    for (const setting of w.config) {
      if (!own.has(setting)) problems.push(`workflow ${w.name}: setting ${setting} is set on none of its functions`);
    }
    for (const v of own) {
      if (!(w.config as readonly string[]).includes(v)) {
        problems.push(`workflow ${w.name}: its functions set ${v}, which its registry entry does not list`);
      }
    }
  }
  return problems;
}
