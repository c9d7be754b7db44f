import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as z from "zod/mini";
import {
  ALLOWED_WILDCARDS,
  bundleSizes,
  checkArnForms,
  checkBundleSizes,
  checkCliVpc,
  checkIam,
  checkNameLengths,
  checkNothingDropped,
  checkObservability,
  checkOwnRoles,
  checkRetainedNames,
  checkRetryPolicies,
  checkRuleSources,
  checkSdkClients,
  checkSdkIntegrations,
  checkSecretKinds,
  checkSecretPolicies,
  checkSignals,
  checkTaskTimeouts,
  checkWorkflowRegistry,
  DASHBOARD_METRICS,
  MAX_ZIP_BYTES,
  type Template,
} from "../../../scripts/package-checks";
import { registeredWorkflows, type WorkflowEntry } from "../../../src/workflows";

// The checks run on the real `osls package` output at the end of scripts/package.sh (npm test's last step);
// these tests prove on small templates that each of them fails on what it must refuse.

const XRAY = { Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" };

/** One function `check` with its own role holding `statements`, traced, logged, alarmed. */
function template(statements: unknown[], extra: Template["Resources"] = {}): Template {
  return {
    Resources: {
      CheckLambdaFunction: {
        Type: "AWS::Lambda::Function",
        Properties: {
          FunctionName: "svc-dev-check",
          Role: { "Fn::GetAtt": ["CheckIamRoleLambdaExecution", "Arn"] },
          TracingConfig: { Mode: "Active" },
        },
      },
      CheckIamRoleLambdaExecution: {
        Type: "AWS::IAM::Role",
        Properties: { Policies: [{ PolicyDocument: { Statement: [XRAY, ...statements] } }], ManagedPolicyArns: [] },
      },
      CheckLogGroup: {
        Type: "AWS::Logs::LogGroup",
        Properties: { LogGroupName: "/aws/lambda/svc-dev-check", RetentionInDays: 30 },
      },
      ...extra,
    },
  };
}

const XRAY_ONLY = ALLOWED_WILDCARDS.filter((e) => e.owner === "*" && e.action.endsWith("TraceSegments"));
const XRAY_TELEMETRY = ALLOWED_WILDCARDS.filter((e) => e.owner === "*" && e.action === "xray:PutTelemetryRecords");
const BASE_ALLOW = [...XRAY_ONLY, ...XRAY_TELEMETRY];

describe("IAM check of the packaged template", () => {
  it("returns no problem when every action is named and resources are ARNs", () => {
    const t = template([{ Effect: "Allow", Action: ["kms:DescribeKey"], Resource: "arn:aws:kms:us-east-1:1:key/*" }]);

    expect(checkIam(t, BASE_ALLOW)).toEqual([]);
  });

  it("returns a problem when a statement allows every action or every action of a service", () => {
    const t = template([
      { Effect: "Allow", Action: "*", Resource: "arn:aws:kms:us-east-1:1:key/k" },
      { Effect: "Allow", Action: ["kms:*"], Resource: "arn:aws:kms:us-east-1:1:key/k" },
      { Effect: "Allow", Action: ["cloudhsm:Describe*"], Resource: "arn:aws:cloudhsm:us-east-1:1:cluster/*" },
    ]);

    const problems = checkIam(t, BASE_ALLOW);

    expect(problems).toEqual([
      expect.stringContaining("wildcard action *"),
      expect.stringContaining("wildcard action kms:*"),
      expect.stringContaining("wildcard action cloudhsm:Describe*"),
    ]);
  });

  it('returns a problem when Resource "*" is granted for an action the allow-list does not hold for that function', () => {
    const t = template([{ Effect: "Allow", Action: ["kms:ScheduleKeyDeletion"], Resource: "*" }]);

    expect(checkIam(t, BASE_ALLOW)).toEqual([
      'CheckIamRoleLambdaExecution (function:check): kms:ScheduleKeyDeletion on Resource "*" is not on the reviewed allow-list',
    ]);
  });

  it('returns no problem when Resource "*" is on the allow-list for that function, and a problem for another function', () => {
    const statements = [{ Effect: "Allow", Action: ["kms:DescribeCustomKeyStores"], Resource: "*" }];
    const allowed = [...BASE_ALLOW, { owner: "function:check", action: "kms:DescribeCustomKeyStores", reason: "r" }];
    const elsewhere = [...BASE_ALLOW, { owner: "function:other", action: "kms:DescribeCustomKeyStores", reason: "r" }];

    expect(checkIam(template(statements), allowed)).toEqual([]);
    expect(checkIam(template(statements), elsewhere)).toEqual([
      expect.stringContaining('kms:DescribeCustomKeyStores on Resource "*" is not on the reviewed allow-list'),
      "allow-list entry function:other kms:DescribeCustomKeyStores is not needed any more: remove it",
    ]);
  });

  it("returns a problem when a statement uses NotAction or an unreviewed managed policy", () => {
    const t = template([{ Effect: "Allow", NotAction: ["iam:*"], Resource: "arn:aws:s3:::b" }]);
    const role = (t.Resources?.CheckIamRoleLambdaExecution?.Properties ?? {}) as Record<string, unknown>;
    role.ManagedPolicyArns = ["arn:aws:iam::aws:policy/AdministratorAccess"];

    expect(checkIam(t, BASE_ALLOW)).toEqual([
      expect.stringContaining("managed policy"),
      expect.stringContaining("NotAction/NotResource"),
    ]);
  });

  it("returns no problem for Deny statements with wildcards (the deployment bucket's TLS-only policy)", () => {
    const t = template([{ Effect: "Deny", Action: "s3:*", Resource: "*" }]);

    expect(checkIam(t, BASE_ALLOW)).toEqual([]);
  });

  it("returns a problem when two functions share a role or a function uses the provider role", () => {
    const t = template([], {
      OtherLambdaFunction: {
        Type: "AWS::Lambda::Function",
        Properties: { FunctionName: "svc-dev-other", Role: { "Fn::GetAtt": ["CheckIamRoleLambdaExecution", "Arn"] } },
      },
      ThirdLambdaFunction: {
        Type: "AWS::Lambda::Function",
        Properties: { FunctionName: "svc-dev-third", Role: { "Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"] } },
      },
    });

    expect(checkOwnRoles(t)).toEqual([
      "OtherLambdaFunction: shares role CheckIamRoleLambdaExecution with CheckLambdaFunction",
      "ThirdLambdaFunction: uses the shared provider role (no iamRoleStatements)",
    ]);
  });
});

describe("observability check of the packaged template", () => {
  const machine = (alarmActions: unknown[]) =>
    template([], {
      FlowStateMachine: {
        Type: "AWS::StepFunctions::StateMachine",
        Properties: { StateMachineName: "svc-dev-flow", TracingConfiguration: { Enabled: true } },
      },
      FlowFailedAlarm: {
        Type: "AWS::CloudWatch::Alarm",
        Properties: {
          Namespace: "AWS/States",
          MetricName: "ExecutionsFailed",
          Dimensions: [{ Name: "StateMachineArn", Value: { Ref: "FlowStateMachine" } }],
          AlarmActions: alarmActions,
        },
      },
    });

  it("returns no problem when the state machine has an alarm with an action and everything is traced and retained", () => {
    expect(checkObservability(machine([{ Ref: "AlarmTopic" }]))).toEqual([]);
  });

  it("returns a problem when a state machine's failure alarm is missing or notifies nobody", () => {
    const none = machine([]);
    delete none.Resources?.FlowFailedAlarm;

    expect(checkObservability(none)).toEqual(["FlowStateMachine: no CloudWatch alarm on ExecutionsFailed"]);
    expect(checkObservability(machine([]))).toEqual(["FlowStateMachine: its ExecutionsFailed alarm notifies nobody"]);
  });

  it("returns a problem when a log group has no retention or a function is not traced or cannot send traces", () => {
    const t = template([]);
    const props = (id: string) => (t.Resources?.[id]?.Properties ?? {}) as Record<string, unknown>;
    delete props("CheckLogGroup").RetentionInDays;
    props("CheckLambdaFunction").TracingConfig = { Mode: "PassThrough" };
    props("CheckIamRoleLambdaExecution").Policies = [];

    expect(checkObservability(t)).toEqual([
      "CheckLogGroup: log group without RetentionInDays",
      "CheckLambdaFunction: X-Ray tracing is not Active",
      "CheckLambdaFunction: its role lacks xray:PutTraceSegments, which active tracing needs",
    ]);
  });
});

describe("bundle size check", () => {
  it("returns a problem for each zip over 250 KiB and none for the others", () => {
    const dir = mkdtempSync(join(tmpdir(), "bundles-"));
    writeFileSync(join(dir, "small.zip"), Buffer.alloc(1000));
    writeFileSync(join(dir, "big.zip"), Buffer.alloc(MAX_ZIP_BYTES + 1));
    writeFileSync(join(dir, "template.json"), "{}");

    const sizes = bundleSizes(dir);

    expect(sizes.map((s) => s.file)).toEqual(["big.zip", "small.zip"]);
    expect(checkBundleSizes(sizes)).toEqual(["big.zip: 250.0 KiB zipped, over the 250 KiB budget"]);
  });

  it("returns a problem when there is no zip at all", () => {
    expect(checkBundleSizes([])).toEqual(["no function zips found"]);
  });
});

describe("aws-sdk integration permissions of the packaged template", () => {
  const machine = (statements: unknown[]): Template => ({
    Resources: {
      FlowStateMachine: {
        Type: "AWS::StepFunctions::StateMachine",
        Properties: {
          StateMachineName: "svc-dev-flow",
          RoleArn: { "Fn::GetAtt": ["FlowRole", "Arn"] },
          DefinitionString: {
            "Fn::Sub": JSON.stringify({
              StartAt: "A",
              States: {
                A: { Type: "Task", Resource: "arn:aws:states:::aws-sdk:kms:describeCustomKeyStores", Next: "B" },
                B: { Type: "Task", Resource: "arn:aws:states:::aws-sdk:cloudhsmv2:describeClusters", End: true },
              },
            }),
          },
        },
      },
      FlowRole: {
        Type: "AWS::IAM::Role",
        Properties: { Policies: [{ PolicyDocument: { Statement: statements } }] },
      },
    },
  });

  it("returns a problem naming each aws-sdk call the state machine's role does not allow", () => {
    const t = machine([{ Effect: "Allow", Action: ["kms:DescribeCustomKeyStores"], Resource: "*" }]);

    expect(checkSdkIntegrations(t)).toEqual([
      "stateMachine:flow: calls cloudhsm:DescribeClusters (aws-sdk integration) but its role does not allow it",
    ]);
  });

  it("returns no problem when the role allows every aws-sdk call of the definition", () => {
    const t = machine([
      { Effect: "Allow", Action: ["kms:DescribeCustomKeyStores", "cloudhsm:DescribeClusters"], Resource: "*" },
    ]);

    expect(checkSdkIntegrations(t)).toEqual([]);
  });
});

describe("SDK clients of each function against its role", () => {
  const KMS = { Effect: "Allow", Action: ["kms:CreateCustomKeyStore"], Resource: "*" };
  const DESCRIBE_CLUSTERS = { Effect: "Allow", Action: ["cloudhsm:DescribeClusters"], Resource: "*" };
  const loads = (...pkgs: string[]) =>
    new Map([["CheckLambdaFunction", pkgs.map((p) => `require("@aws-sdk/${p}");`).join("\n")]]);
  const dependent = [{ owner: "function:check", action: "cloudhsm:DescribeClusters", reason: "r" }];

  it("returns a problem for a client the role has no action for, and for a service the role allows with no client", () => {
    const t = template([KMS, DESCRIBE_CLUSTERS]);

    expect(checkSdkClients(t, loads("client-kms", "client-sfn"), [])).toEqual([
      "function:check: loads @aws-sdk/client-sfn but its role allows no states: action",
      "function:check: its role allows cloudhsm: actions but it loads no client for cloudhsm",
    ]);
  });

  it("returns a problem for logs: actions only beyond the function's own logging, which Lambda writes", () => {
    const ownLogs = {
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: "*",
    };
    const filter = { Effect: "Allow", Action: ["logs:FilterLogEvents"], Resource: "*" };

    expect(checkSdkClients(template([KMS, ownLogs]), loads("client-kms"), [])).toEqual([]);
    expect(checkSdkClients(template([KMS, ownLogs, filter]), loads("client-kms"), [])).toEqual([
      "function:check: its role allows logs: actions but it loads no client for logs",
    ]);
    expect(
      checkSdkClients(template([KMS, ownLogs, filter]), loads("client-kms", "client-cloudwatch-logs"), []),
    ).toEqual([]);
  });

  it("returns no problem when a service's only action is a reviewed dependent action of that function", () => {
    const t = template([KMS, DESCRIBE_CLUSTERS]);

    expect(checkSdkClients(t, loads("client-kms"), dependent)).toEqual([]);
  });

  it("returns a problem when a function loads a client only a dependent action of its role would allow", () => {
    const t = template([KMS, DESCRIBE_CLUSTERS]);

    expect(checkSdkClients(t, loads("client-kms", "client-cloudhsm-v2"), dependent)).toEqual([
      "function:check: loads @aws-sdk/client-cloudhsm-v2 but its role allows no cloudhsm: action",
    ]);
  });

  it("returns a problem when a dependent-action entry's function no longer holds the action", () => {
    const t = template([KMS]);

    expect(checkSdkClients(t, loads("client-kms"), dependent)).toEqual([
      "dependent-action entry function:check cloudhsm:DescribeClusters is not needed any more: remove it",
    ]);
  });
});

describe("VPC check of the functions that run the CloudHSM CLI", () => {
  const CLI_GROUP = { Ref: "CliSecurityGroup" };
  const egressToCluster = {
    IpProtocol: "tcp",
    FromPort: 2223,
    ToPort: 2225,
    DestinationSecurityGroupId: "sg-0123456789abcdef0",
  };
  const https = { IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "0.0.0.0/0" };
  /** The CLI function, its security group and the cluster's ingress rule as serverless.yml packages them. */
  const withFunction = (properties: Record<string, unknown>, egress: unknown[] = [egressToCluster, https]) =>
    template([], {
      CliLambdaFunction: {
        Type: "AWS::Lambda::Function",
        Properties: { FunctionName: "svc-dev-cli", ...properties },
      },
      CliSecurityGroup: {
        Type: "AWS::EC2::SecurityGroup",
        Properties: { VpcId: "vpc-0123456789abcdef0", SecurityGroupEgress: egress },
      },
      ClusterIngressFromCli: {
        Type: "AWS::EC2::SecurityGroupIngress",
        Properties: {
          GroupId: "sg-0123456789abcdef0",
          IpProtocol: "tcp",
          FromPort: 2223,
          ToPort: 2225,
          SourceSecurityGroupId: CLI_GROUP,
        },
      },
    });
  const cliEnv = { Environment: { Variables: { CLOUDHSM_CLI_PATH: "/opt/cloudhsm/bin/cloudhsm-cli" } } };
  const inVpc = { VpcConfig: { SecurityGroupIds: [CLI_GROUP], SubnetIds: ["subnet-1"] } };

  it("returns no problem when the CLI function is in the CLI security group, and for functions in no VPC", () => {
    expect(checkCliVpc(withFunction({ ...cliEnv, ...inVpc }))).toEqual([]);
    expect(checkCliVpc(withFunction({}))).toEqual([]);
  });

  it("returns a problem naming the function when a CLI function has no VpcConfig", () => {
    expect(checkCliVpc(withFunction(cliEnv))).toEqual(["function:cli: runs the CloudHSM CLI but has no VpcConfig"]);
  });

  it("returns a problem naming the param when a CLI function's subnets are an empty list", () => {
    const t = withFunction({ ...cliEnv, VpcConfig: { SecurityGroupIds: [CLI_GROUP], SubnetIds: [] } });

    expect(checkCliVpc(t)).toEqual(["function:cli: runs in a VPC with no subnet (cliSubnetIds)"]);
  });

  it("returns a problem when a function in a VPC uses another security group than the CLI one", () => {
    const t = withFunction({ VpcConfig: { SecurityGroupIds: ["sg-0123456789abcdef0"], SubnetIds: ["subnet-1"] } });

    expect(checkCliVpc(t)).toEqual([
      "function:cli: has a VpcConfig whose security groups are not just CliSecurityGroup",
    ]);
  });

  it("returns a problem when the CLI security group's egress is open to the internet on all ports", () => {
    const t = withFunction({ ...cliEnv, ...inVpc }, [egressToCluster, { IpProtocol: "-1", CidrIp: "0.0.0.0/0" }]);

    expect(checkCliVpc(t)).toEqual(["CliSecurityGroup: egress open to the internet on all ports"]);
  });

  it("returns a problem when the CLI security group lists no egress, which leaves the default allow-all", () => {
    expect(checkCliVpc(withFunction({ ...cliEnv, ...inVpc }, []))).toEqual([
      "CliSecurityGroup: no egress rules, so CloudFormation allows all egress",
      "CliSecurityGroup: no egress to the cluster's security group on TCP 2223-2225 (clusterSecurityGroupId)",
    ]);
  });

  it("returns a problem naming the params when the VPC and the cluster's security group are left empty", () => {
    const t = withFunction({ ...cliEnv, ...inVpc }, [
      { ...egressToCluster, DestinationSecurityGroupId: { Ref: "AWS::NoValue" } },
    ]);
    const group = t.Resources?.CliSecurityGroup?.Properties as Record<string, unknown>;
    group.VpcId = { Ref: "AWS::NoValue" };
    (t.Resources?.ClusterIngressFromCli?.Properties as Record<string, unknown>).GroupId = { Ref: "AWS::NoValue" };

    expect(checkCliVpc(t)).toEqual([
      "CliSecurityGroup: no VpcId (cliVpcId)",
      "CliSecurityGroup: no egress to the cluster's security group on TCP 2223-2225 (clusterSecurityGroupId)",
      "the cluster's security group admits no CliSecurityGroup on TCP 2223-2225 (clusterSecurityGroupId)",
    ]);
  });
});

describe("name length check of the packaged template", () => {
  // What serverless-iam-roles-per-function generates: <service>-<stage>-<function>-<region>[-lambdaRole].
  const role = (stage: string) => ({
    Type: "AWS::IAM::Role",
    Properties: {
      RoleName: {
        "Fn::Join": ["-", ["keystore-autopilot", stage, "provisionAcceptCertificates", { Ref: "AWS::Region" }]],
      },
    },
  });

  it("returns no problem when a generated role name fits in the Region, or when CloudFormation names the role", () => {
    const t: Template = { Resources: { R: role("dev"), Unnamed: { Type: "AWS::IAM::Role", Properties: {} } } };

    expect(checkNameLengths(t, "us-east-1")).toEqual([]);
  });

  it("returns a problem when a role name grows over 64 characters with a long stage and Region", () => {
    const t: Template = { Resources: { R: role("production") } };

    expect(checkNameLengths(t, "ap-southeast-2")).toEqual([
      "R: RoleName keystore-autopilot-production-provisionAcceptCertificates-ap-southeast-2 is 72 characters, over 64 (IAM User Guide, reference_iam-quotas)",
    ]);
  });

  it("returns a problem for a function or rule name over 64 characters and one it cannot measure", () => {
    const long = `svc-${"x".repeat(61)}`;
    const t: Template = {
      Resources: {
        F: { Type: "AWS::Lambda::Function", Properties: { FunctionName: long } },
        E: { Type: "AWS::Events::Rule", Properties: { Name: { "Fn::Select": [0, ["rule"]] } } },
      },
    };

    expect(checkNameLengths(t, "us-east-1")).toEqual([
      `F: FunctionName ${long} is 65 characters, over 64 (Lambda API Reference, CreateFunction)`,
      'E: Name {"Fn::Select":[0,["rule"]]} cannot be measured',
    ]);
  });
});

describe("nothing-dropped check of the packaged template", () => {
  const getAtt = (id: string) => ({ "Fn::GetAtt": [id, "Arn"] });
  const alarm = (namespace: string, metric: string, dimension: unknown) => ({
    Type: "AWS::CloudWatch::Alarm",
    Properties: {
      Namespace: namespace,
      MetricName: metric,
      Dimensions: [{ Name: "x", Value: dimension }],
      AlarmActions: [{ Ref: "Topic" }],
    },
  });
  /** A rule invoking function F, with everything the check asks for; `drop` removes resources or properties. */
  const wired = (edit: (r: NonNullable<Template["Resources"]>) => void = () => {}): Template => {
    const resources: NonNullable<Template["Resources"]> = {
      F: { Type: "AWS::Lambda::Function", Properties: {} },
      Rule: {
        Type: "AWS::Events::Rule",
        Properties: {
          Name: "keystore-autopilot-dev-f-rule-1",
          Targets: [
            {
              Id: "t",
              Arn: getAtt("F"),
              RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
              DeadLetterConfig: { Arn: getAtt("Dlq") },
            },
          ],
        },
      },
      Dlq: { Type: "AWS::SQS::Queue", Properties: {} },
      FConf: {
        Type: "AWS::Lambda::EventInvokeConfig",
        Properties: { FunctionName: { Ref: "F" }, DestinationConfig: { OnFailure: { Destination: getAtt("Dlq") } } },
      },
      FErrors: alarm("AWS/Lambda", "Errors", { Ref: "F" }),
      RuleDroppedEventsAlarm: {
        Type: "AWS::CloudWatch::Alarm",
        Properties: {
          Metrics: [
            {
              Id: "notQueued",
              MetricStat: {
                Metric: {
                  Namespace: "AWS/Events",
                  MetricName: "InvocationsFailedToBeSentToDlq",
                  Dimensions: [{ Name: "RuleName", Value: "keystore-autopilot-dev-f-rule-1" }],
                },
              },
            },
          ],
          AlarmActions: [{ Ref: "Topic" }],
        },
      },
      DlqDepth: alarm("AWS/SQS", "ApproximateNumberOfMessagesVisible", { "Fn::GetAtt": ["Dlq", "QueueName"] }),
      Topic: { Type: "AWS::SNS::Topic", Properties: { KmsMasterKeyId: { Ref: "Key" } } },
      Key: {
        Type: "AWS::KMS::Key",
        Properties: {
          KeyPolicy: {
            Statement: [
              { Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"] },
            ],
          },
        },
      },
      Flow: {
        Type: "AWS::StepFunctions::StateMachine",
        Properties: {
          LoggingConfiguration: {
            Level: "ERROR",
            IncludeExecutionData: false,
            Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt("Logs") } }],
          },
        },
      },
    };
    edit(resources);
    return { Resources: resources };
  };
  const props = (r: NonNullable<Template["Resources"]>, id: string) => r[id]?.Properties as Record<string, unknown>;

  it("returns no problem when every target retries into a DLQ, every async function has a destination and alarms", () => {
    expect(checkNothingDropped(wired())).toEqual([]);
  });

  it("returns a problem when a rule target has no retry policy or no dead-letter queue", () => {
    const t = wired((r) => {
      const target = (props(r, "Rule").Targets as Record<string, unknown>[])[0] as Record<string, unknown>;
      delete target.RetryPolicy;
      delete target.DeadLetterConfig;
    });

    expect(checkNothingDropped(t)).toEqual([
      "Rule target t: no retry policy",
      "Rule target t: no dead-letter queue of this stack",
    ]);
  });

  it("returns a problem when a function EventBridge invokes has no on-failure destination or no Errors alarm", () => {
    const t = wired((r) => {
      delete r.FConf;
      delete r.FErrors;
    });

    expect(checkNothingDropped(t)).toEqual([
      "F: invoked by EventBridge but has no on-failure destination",
      "F: invoked by EventBridge but no alarm on its Errors",
    ]);
  });

  it("returns a problem when a rule has no alarm on the events it could not put in its dead-letter queue", () => {
    expect(checkNothingDropped(wired((r) => delete r.RuleDroppedEventsAlarm))).toEqual([
      "Rule: no alarm on the events it could not put in its dead-letter queue",
    ]);
  });

  it("returns no problem when the plugin gave every rule, of the template or of serverless.yml's resources, its alarm", () => {
    const { addRuleAlarms } = require("../../../deploy/rule-alarms.cjs") as {
      addRuleAlarms: (resources: NonNullable<Template["Resources"]>, topicId: string, more?: object) => void;
    };
    const custom = { Type: "AWS::Events::Rule", Properties: { Name: "keystore-autopilot-dev-uses", Targets: [] } };
    const t = wired((r) => {
      delete r.RuleDroppedEventsAlarm;
      addRuleAlarms(r, "Topic", { Custom: custom });
      r.Custom = custom;
    });

    expect(checkNothingDropped(t)).toEqual([]);
    expect(Object.keys(t.Resources ?? {}).filter((id) => id.endsWith("DroppedEventsAlarm"))).toEqual([
      "RuleDroppedEventsAlarm",
      "CustomDroppedEventsAlarm",
    ]);
  });

  it("throws when a rule has no name, which its alarm's RuleName needs", () => {
    const { addRuleAlarms } = require("../../../deploy/rule-alarms.cjs") as {
      addRuleAlarms: (resources: NonNullable<Template["Resources"]>, topicId: string) => void;
    };

    expect(() => addRuleAlarms({ Unnamed: { Type: "AWS::Events::Rule", Properties: {} } }, "Topic")).toThrow(
      "rule Unnamed has no Name",
    );
  });

  it("returns a problem when the dead-letter queue has no depth alarm", () => {
    expect(checkNothingDropped(wired((r) => delete r.DlqDepth))).toEqual([
      "Dlq: failed events land in it but no alarm on its depth",
    ]);
  });

  it("returns a problem when the alarm topic uses alias/aws/sns or a key CloudWatch may not use", () => {
    const managed = wired((r) => {
      props(r, "Topic").KmsMasterKeyId = "alias/aws/sns";
    });
    const closed = wired((r) => {
      props(r, "Key").KeyPolicy = { Statement: [] };
    });

    expect(checkNothingDropped(managed)).toEqual([
      "Topic: not encrypted with a key of this stack (CloudWatch cannot use alias/aws/sns)",
    ]);
    expect(checkNothingDropped(closed)).toEqual([
      "Topic: its key's policy does not let cloudwatch.amazonaws.com use it",
    ]);
  });

  it("returns a problem when a state machine logs nothing, or logs its execution data", () => {
    const none = wired((r) => delete props(r, "Flow").LoggingConfiguration);
    const data = wired((r) => {
      (props(r, "Flow").LoggingConfiguration as Record<string, unknown>).IncludeExecutionData = true;
    });

    expect(checkNothingDropped(none)).toEqual(["Flow: no execution logging"]);
    expect(checkNothingDropped(data)).toEqual(["Flow: execution logs include execution data"]);
  });
});

describe("retained resources check of the packaged template", () => {
  it("returns no problem when a retained table has no fixed name, or a fixed name is deleted with the stack", () => {
    const t: Template = {
      Resources: {
        Retained: {
          Type: "AWS::DynamoDB::Table",
          DeletionPolicy: "Retain",
          Properties: { BillingMode: "PAY_PER_REQUEST" },
        },
        Named: { Type: "AWS::SQS::Queue", Properties: { QueueName: "svc-dev-failures" } },
      },
    };

    expect(checkRetainedNames(t)).toEqual([]);
  });

  it("returns a problem when a retained table keeps a fixed TableName", () => {
    const t: Template = {
      Resources: {
        Orphans: {
          Type: "AWS::DynamoDB::Table",
          DeletionPolicy: "Retain",
          Properties: { TableName: "svc-dev-orphans" },
        },
      },
    };

    expect(checkRetainedNames(t)).toEqual([
      "Orphans: retained with a fixed TableName, which a redeploy would collide with",
    ]);
  });
});

describe("task timeout check of the packaged template", () => {
  const template = (taskTimeout: number) => ({
    Resources: {
      SweepLambdaFunction: { Type: "AWS::Lambda::Function", Properties: { Timeout: 900 } },
      Cleanup: {
        Type: "AWS::StepFunctions::StateMachine",
        Properties: {
          StateMachineName: "keystore-autopilot-dev-orphanCleanup",
          DefinitionString: {
            "Fn::Sub": [
              JSON.stringify({
                StartAt: "Sweep",
                States: { Sweep: { Type: "Task", Resource: `\${abc}`, TimeoutSeconds: taskTimeout, End: true } },
              }),
              { abc: { "Fn::GetAtt": ["SweepLambdaFunction", "Arn"] } },
            ],
          },
        },
      },
    },
  });

  it("returns a problem naming the task when its timeout does not exceed its function's", () => {
    expect(checkTaskTimeouts(template(900))).toEqual([
      "stateMachine:orphanCleanup: task Sweep times out at 900 s, not after its function's 900 s",
    ]);
  });

  it("returns no problem when the task outlives its function", () => {
    expect(checkTaskTimeouts(template(930))).toEqual([]);
  });
});

describe("ARN form check of the packaged template", () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub template, not a JavaScript one
  const KEYS = { "Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*" };
  const withResource = (resource: unknown, machineArn: unknown = KEYS) => ({
    Resources: {
      CheckIamRoleLambdaExecution: {
        Type: "AWS::IAM::Role",
        Properties: {
          Policies: [
            { PolicyDocument: { Statement: [{ Effect: "Allow", Action: "kms:DescribeKey", Resource: resource }] } },
          ],
        },
      },
      CheckLambdaFunction: { Type: "AWS::Lambda::Function", Properties: { Environment: { Variables: { ARN: KEYS } } } },
      Flow: {
        Type: "AWS::StepFunctions::StateMachine",
        Properties: { DefinitionString: { "Fn::Sub": ['{"StartAt":"A","States":{}}', { machine: machineArn }] } },
      },
    },
  });

  it("returns no problem when every ARN is an Fn::Sub with the partition", () => {
    expect(checkArnForms(withResource([KEYS, { "Fn::GetAtt": ["Table", "Arn"] }]))).toEqual([]);
  });

  it("returns a problem naming the resource for an ARN built with Fn::Join or naming its partition", () => {
    const joined = { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":kms:", { Ref: "AWS::Region" }, ":key/*"]] };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub template, not a JavaScript one
    const literal = { "Fn::Sub": "arn:aws:states:${AWS::Region}:${AWS::AccountId}:stateMachine:flow" };

    expect(checkArnForms(withResource([joined], literal))).toEqual([
      "CheckIamRoleLambdaExecution: an ARN built with Fn::Join; build it with Fn::Sub",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the message quotes a CloudFormation pseudo parameter
      "Flow: arn:aws:states:${AWS::Region}:${AWS::AccountId}:stateMachine:flow names its partition; build it with Fn::Sub and ${AWS::Partition}",
    ]);
  });
});

describe("retry policy check of the packaged template", () => {
  const transient = { ErrorEquals: ["ThrottlingException", "Lambda.ServiceException"], BackoffRate: 2 };
  const template = (describeInterval: number) => ({
    Resources: {
      Connect: {
        Type: "AWS::StepFunctions::StateMachine",
        Properties: {
          StateMachineName: "keystore-autopilot-dev-connectKeyStore",
          DefinitionString: JSON.stringify({
            StartAt: "Prepare",
            States: {
              Prepare: { Type: "Task", Retry: [{ ...transient, IntervalSeconds: 2, MaxAttempts: 4 }], Next: "Map" },
              Map: {
                Type: "Map",
                ItemProcessor: {
                  StartAt: "Describe",
                  States: {
                    Describe: {
                      Type: "Task",
                      Retry: [{ ...transient, ErrorEquals: ["Lambda.ServiceException", "ThrottlingException"] }],
                      End: true,
                    },
                  },
                },
                End: true,
              },
            },
          }).replace('"BackoffRate":2}', `"BackoffRate":2,"IntervalSeconds":${describeInterval},"MaxAttempts":6}`),
        },
      },
    },
  });

  it("returns a problem naming both states when retriers of the same errors back off differently", () => {
    expect(checkRetryPolicies(template(5))).toEqual([
      'stateMachine:connectKeyStore: Describe retries [Lambda.ServiceException, ThrottlingException] with {"IntervalSeconds":5,"BackoffRate":2}, Prepare with {"IntervalSeconds":2,"BackoffRate":2}',
    ]);
  });

  it("returns no problem when they back off the same way, whatever their MaxAttempts", () => {
    expect(checkRetryPolicies(template(2))).toEqual([]);
  });
});

describe("rule sources", () => {
  const rule = (pattern: unknown) => ({
    Resources: { Rule: { Type: "AWS::Events::Rule", Properties: { EventPattern: pattern } } },
  });

  it("returns no problem for AWS's sources, our alerts and schedules", () => {
    expect(checkRuleSources(rule({ source: ["aws.kms"], "detail-type": ["KMS CMK Deletion"] }))).toEqual([]);
    expect(checkRuleSources(rule({ source: ["keystore-autopilot"] }))).toEqual([]);
    expect(
      checkRuleSources({
        Resources: { Rule: { Type: "AWS::Events::Rule", Properties: { ScheduleExpression: "rate(1 day)" } } },
      }),
    ).toEqual([]);
  });

  it("returns a problem for a rule on an operator source, or on any source", () => {
    expect(checkRuleSources(rule({ source: ["keystore-autopilot.operator"] }))).toEqual([
      'Rule: matches source "keystore-autopilot.operator", which anyone with events:PutEvents can send (allowed: aws.kms, aws.cloudhsm, keystore-autopilot)',
    ]);
    expect(checkRuleSources(rule({ "detail-type": ["Orphan Cleanup Approval"] }))).toEqual([
      "Rule: matches events of any source",
    ]);
  });
});

describe("secrets-by-kind check of the packaged template", () => {
  const secrets = (kind: string) => ({
    "Fn::Sub": `arn:\${AWS::Partition}:secretsmanager:r:1:secret:keystore-autopilot/${kind}`,
  });
  /** The `check` function renamed to `key`, so the reader lists apply to it. */
  const as = (key: string, statements: unknown[]): Template => {
    const t = template(statements);
    const fn = t.Resources?.CheckLambdaFunction?.Properties;
    if (fn) fn.FunctionName = `svc-dev-${key}`;
    return t;
  };

  it("returns no problem when the signing function reads the CA kinds and writes the managed CA", () => {
    const t = as("provisionSignCsr", [
      { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secrets("customer-ca/*")] },
      {
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:CreateSecret", "secretsmanager:PutSecretValue"],
        Resource: [secrets("managed-ca/*")],
      },
    ]);

    expect(checkSecretKinds(t)).toEqual([]);
  });

  it("returns a problem when a role but the signing function's may read the CA kind", () => {
    const t = as("connectSetPassword", [
      { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secrets("managed-ca/*")] },
    ]);

    expect(checkSecretKinds(t)).toEqual([
      "CheckIamRoleLambdaExecution (function:connectSetPassword): may read the managed-ca secrets, which only function:provisionSignCsr may",
    ]);
  });

  it("returns a problem when a Secrets Manager action names the whole prefix or every resource", () => {
    const t = as("connectSetPassword", [
      { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: secrets("*") },
      { Effect: "Allow", Action: ["secretsmanager:DescribeSecret"], Resource: "*" },
    ]);

    expect(checkSecretKinds(t)).toHaveLength(2);
    expect(checkSecretKinds(t)[0]).toContain("not on one kind of secret");
  });

  it("returns a problem when a role writes a kind it only reads", () => {
    const t = as("connectSetPassword", [
      { Effect: "Allow", Action: ["secretsmanager:PutSecretValue"], Resource: [secrets("admin/*")] },
    ]);

    expect(checkSecretKinds(t)).toEqual([
      "CheckIamRoleLambdaExecution (function:connectSetPassword): secretsmanager:PutSecretValue on the admin secrets",
    ]);
  });
});

describe("secret resource policies against IAM in the packaged template", () => {
  const readsTrustAnchor = {
    Effect: "Allow",
    Action: ["secretsmanager:GetSecretValue"],
    Resource: [{ "Fn::Sub": `arn:\${AWS::Partition}:secretsmanager:r:1:secret:keystore-autopilot/trust-anchor/*` }],
  };
  /** The check function reads trust anchors; a creating function's SECRET_PRINCIPALS names `roles` for the kind. */
  const withPolicyNaming = (roles: string[]): Template => {
    const t = template([readsTrustAnchor], {
      CreatorLambdaFunction: {
        Type: "AWS::Lambda::Function",
        Properties: {
          FunctionName: "svc-dev-creator",
          Environment: {
            Variables: {
              SECRET_PRINCIPALS: {
                "Fn::Join": [
                  "",
                  [
                    '{"trust-anchor":["',
                    { "Fn::Join": ['","', roles.map((r) => ({ "Fn::GetAtt": [r, "Arn"] }))] },
                    '"]}',
                  ],
                ],
              },
            },
          },
        },
      },
    });
    return t;
  };

  it("returns no problem when the policy names exactly the roles IAM lets read the kind", () => {
    expect(checkSecretPolicies(withPolicyNaming(["CheckIamRoleLambdaExecution"]))).toEqual([]);
  });

  it("returns a problem naming the role the policy would deny although IAM lets it read the kind", () => {
    expect(checkSecretPolicies(withPolicyNaming([]))).toEqual([
      "CreatorLambdaFunction: the trust-anchor secrets' policy would deny CheckIamRoleLambdaExecution (function:check), which IAM lets use them",
    ]);
  });

  it("returns a problem naming a role the policy admits although IAM does not let it use the kind", () => {
    expect(checkSecretPolicies(withPolicyNaming(["CheckIamRoleLambdaExecution", "OtherRole"]))).toEqual([
      "CreatorLambdaFunction: the trust-anchor secrets' policy admits OtherRole (no owner), which IAM does not let use them",
    ]);
  });
});

describe("workflow registry against the packaged template", () => {
  const fn = (name: string, handler: string, variables: Record<string, string>) => ({
    Type: "AWS::Lambda::Function",
    Properties: { FunctionName: `svc-dev-${name}`, Handler: handler, Environment: { Variables: variables } },
  });
  const machine = (name: string) => ({
    Type: "AWS::StepFunctions::StateMachine",
    Properties: { StateMachineName: `svc-dev-${name}` },
  });
  /** Two workflows, `flow` (one function with its table) and `check`; selfCheck belongs to none. */
  const packaged = (): Template => ({
    Resources: {
      FlowStartLambdaFunction: fn("flowStart", "functions/flow-start.handler", {
        POWERTOOLS_SERVICE_NAME: "svc",
        ORPHAN_TABLE_NAME: "t",
      }),
      CheckLambdaFunction: fn("check", "functions/check.handler", { POWERTOOLS_SERVICE_NAME: "svc" }),
      SelfCheckLambdaFunction: fn("selfCheck", "functions/self-check.handler", { POWERTOOLS_SERVICE_NAME: "svc" }),
      Flow: machine("flow"),
      Check: machine("check"),
    },
  });
  const flow: WorkflowEntry = {
    name: "flow",
    stateMachine: "flow",
    input: z.object({}),
    config: ["ORPHAN_TABLE_NAME"],
    handlers: ["flowStart"],
  };
  const check: WorkflowEntry = {
    name: "check",
    stateMachine: "check",
    input: z.object({}),
    config: [],
    handlers: ["check"],
  };

  it("returns no problem when every state machine, handler and setting is registered as packaged", () => {
    expect(checkWorkflowRegistry(packaged(), [flow, check])).toEqual([]);
  });

  it("returns the state machine no workflow registers when an entry is missing from the registry", () => {
    expect(checkWorkflowRegistry(packaged(), [flow])).toEqual([
      "stateMachine:check: in the template but no workflow of src/workflows registers it",
    ]);
  });

  it("returns the registered state machine and handler the template lacks", () => {
    const renamed = { ...check, stateMachine: "checkAll", handlers: ["check", "checkMore"] };

    expect(checkWorkflowRegistry(packaged(), [flow, renamed])).toEqual([
      "stateMachine:check: in the template but no workflow of src/workflows registers it",
      "workflow check: its state machine checkAll is not in the template",
      "workflow check: its handler checkMore is not a function of the template",
    ]);
  });

  it("returns a setting set on none of the workflow's functions, and one set but not listed", () => {
    const wrongSettings = { ...flow, config: ["ACCOUNT_ID"] as WorkflowEntry["config"] };

    expect(checkWorkflowRegistry(packaged(), [wrongSettings, check])).toEqual([
      "workflow flow: setting ACCOUNT_ID is set on none of its functions",
      "workflow flow: its functions set ORPHAN_TABLE_NAME, which its registry entry does not list",
    ]);
  });

  it("returns a handler that does not live in functions/<kebab-case key>.ts", () => {
    const template = packaged();
    (template.Resources?.FlowStartLambdaFunction?.Properties as { Handler: string }).Handler =
      "functions/start.handler";

    expect(checkWorkflowRegistry(template, [flow, check])).toEqual([
      "function:flowStart: handler functions/start.handler, not functions/flow-start.handler",
    ]);
  });

  it("returns every registered workflow with a state machine, handlers and a unique name", () => {
    const workflows = registeredWorkflows();

    expect(new Set(workflows.map((w) => w.name)).size).toBe(workflows.length);
    expect(new Set(workflows.map((w) => w.stateMachine)).size).toBe(workflows.length);
    for (const w of workflows)
      expect({ name: w.name, handlers: w.handlers.length > 0 }).toEqual({ name: w.name, handlers: true });
  });
});

describe("checkSignals", () => {
  const search = (metric: string) =>
    `SEARCH('{KeystoreAutopilot,CustomKeyStoreId,service} MetricName="${metric}"', 'Maximum', 300)`;
  const dashboard = (metrics: string[]) => ({
    Type: "AWS::CloudWatch::Dashboard",
    Properties: {
      DashboardBody: {
        "Fn::Sub": JSON.stringify({
          widgets: metrics.map((m) => ({ type: "metric", properties: { metrics: [[{ expression: search(m) }]] } })),
        }),
      },
    },
  });
  const queryAlarm = (expression: string, actions = [{ Ref: "AlarmTopic" }]) => ({
    Type: "AWS::CloudWatch::Alarm",
    Properties: {
      Metrics: [{ Id: "q", Expression: expression, Period: 300, ReturnData: true }],
      AlarmActions: actions,
    },
  });
  const complete = (): Template => ({
    Resources: {
      Dashboard: dashboard(DASHBOARD_METRICS),
      StoresDashboard: {
        Type: "AWS::CloudWatch::Dashboard",
        Properties: { DashboardName: "keystore-autopilot-dev-stores", DashboardBody: '{"widgets":[]}' },
      },
      StoreNotConnectedAlarm: queryAlarm(
        'SELECT MAX(MinutesSinceLastConnect) FROM SCHEMA("KeystoreAutopilot", CustomKeyStoreId, service)',
      ),
      HsmUnhealthyAlarm: queryAlarm('SELECT MAX(HsmUnhealthy) FROM "AWS/CloudHSM"'),
      HsmSessionsAlarm: queryAlarm('SELECT MAX(HsmSessionCount) FROM "AWS/CloudHSM" GROUP BY ClusterId'),
      OrphanOverdueAlarm: queryAlarm(
        'SELECT MAX(OldestOpenOrphanDays) FROM SCHEMA("KeystoreAutopilot", CustomKeyStoreId, service) GROUP BY CustomKeyStoreId',
      ),
    },
  });

  it("returns nothing when the dashboard plots every signal and every alarm notifies", () => {
    expect(checkSignals(complete())).toEqual([]);
  });

  it("returns each signal the dashboard does not SEARCH for, and a missing dashboard", () => {
    const template = complete();
    (template.Resources ?? {}).Dashboard = dashboard(["Connected", "HsmUnhealthy"]) as never;

    expect(checkSignals(template)).toEqual(
      [
        "MinutesSinceLastConnect",
        "ActiveHsms",
        "OpenOrphans",
        "OldestOpenOrphanDays",
        "KeysPendingDeletion",
        "OpenProofs",
        "BackupsHoldingDeletedMaterial",
        "ExecutionsFailed",
        "HsmSessionCount",
      ].map((m) => `the dashboard has no SEARCH for ${m}`),
    );
    delete template.Resources?.Dashboard;
    expect(checkSignals(template)[0]).toBe("0 dashboards, not one per stage");
    delete template.Resources?.StoresDashboard;
    expect(checkSignals(template)[1]).toBe("0 per-store dashboards (<stage>-stores), not one");
  });

  it("returns a SEARCH that quotes part of an ARN, which an exact match never finds", () => {
    const template = complete();
    const states = (term: string) =>
      `SEARCH('{AWS/States,StateMachineArn} MetricName="ExecutionsFailed" ${term}', 'Sum', 300)`;
    const body = (term: string) => ({
      "Fn::Sub": JSON.stringify({
        widgets: [...DASHBOARD_METRICS.map(search), states(term)].map((expression) => ({
          type: "metric",
          properties: { metrics: [[{ expression }]] },
        })),
      }),
    });
    const resources = template.Resources ?? {};
    (resources.Dashboard as { Properties: Record<string, unknown> }).Properties.DashboardBody = body(
      '"stateMachine:keystore-autopilot-dev-"',
    );

    expect(checkSignals(template)).toEqual([
      'the dashboard quotes part of an ARN ("stateMachine:keystore-autopilot-dev-"), which matches nothing',
    ]);
    (resources.Dashboard as { Properties: Record<string, unknown> }).Properties.DashboardBody = body(
      "StateMachineArn=stateMachine:keystore-autopilot-dev",
    );
    expect(checkSignals(template)).toEqual([]);
  });

  it("returns the store, HSM, orphan and session alarms when they are missing, notify nobody or name no cluster", () => {
    const template = complete();
    delete template.Resources?.HsmUnhealthyAlarm;
    delete template.Resources?.OrphanOverdueAlarm;
    (template.Resources ?? {}).HsmSessionsAlarm = queryAlarm(
      'SELECT MAX(HsmSessionCount) FROM "AWS/CloudHSM"',
    ) as never;
    (template.Resources ?? {}).StoreNotConnectedAlarm = queryAlarm(
      "SELECT MAX(MinutesSinceLastConnect) FROM SCHEMA(KeystoreAutopilot, CustomKeyStoreId, service)",
      [],
    ) as never;

    expect(checkSignals(template)).toEqual([
      "no alarm on a store not connected (MinutesSinceLastConnect)",
      "no alarm on HsmUnhealthy (AWS/CloudHSM)",
      "no alarm on an orphan open too long (OldestOpenOrphanDays)",
      // One series for the whole account would not name the cluster.
      "no alarm on HSM sessions per cluster (HsmSessionCount)",
    ]);
  });
});
