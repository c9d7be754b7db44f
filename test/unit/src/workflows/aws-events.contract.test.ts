import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { matchesEventPattern } from "../../../../local/runtime/event-patterns";
import { readPath } from "../../../../local/runtime/json-path";
import { loadServerlessConfig, type RuleConfig } from "../../../../local/runtime/serverless-config";
import { StepFunctionsExecutions } from "../../../../src/adapters/executions";
import { KmsKeyStores } from "../../../../src/adapters/key-stores";
import { DynamoOrphanRegister } from "../../../../src/adapters/orphan-register";
import { InvalidInputError, parseOrThrow } from "../../../../src/validation";
import { startFromEvent } from "../../../../src/workflows/connect-key-store/starter";
import { handleDeletionEvent } from "../../../../src/workflows/deletion-follow-up/starter";
import { describeKeyStoreWorkflow } from "../../../../src/workflows/describe-key-store";
import { awsFixture, wrapCloudTrail } from "../../../support/aws-fixtures";

/**
 * The contract with what AWS emits: every verbatim example of test/events/aws (SOURCES.md names each page) goes
 * through the EventBridge rules of serverless.yml, as the local runtime loads them, and then through the consumer of
 * each rule it matches. Each is handled or ignored with a reason, never rejected as invalid.
 */
const ROOT = join(__dirname, "../../../..");
const ACCOUNT = "111122223333";
const CKS = "cks-1234567890abcdef0";

const kms = mockClient(KMSClient);
const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBDocumentClient);
const clients = {
  keyStores: new KmsKeyStores(new KMSClient({ region: "us-east-1" })),
  executions: new StepFunctionsExecutions(new SFNClient({ region: "us-east-1" })),
};
const followUpDeps = {
  ...clients,
  orphans: new DynamoOrphanRegister(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })),
    "orphans",
  ),
  stateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:keystore-autopilot-dev-deletionFollowUp`,
  accountId: ACCOUNT,
};
const connectDeps = {
  ...clients,
  stateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:keystore-autopilot-dev-connectKeyStore`,
};

/**
 * The consumers of the rules that match KMS events, by serverless.yml target key: the functions' domain entry points,
 * and for the describe-key-store state machine its input as the rule's InputPath cuts it, read by the schema of the
 * function its first state calls.
 */
const CONSUMERS: Record<string, (event: unknown, rule: RuleConfig) => Promise<unknown>> = {
  followUpEvents: (event) => handleDeletionEvent(followUpDeps, event),
  connectStart: (event) => startFromEvent(connectDeps, event),
  describeKeyStore: async (event, rule) =>
    parseOrThrow(describeKeyStoreWorkflow.input, rule.inputPath ? readPath(event, rule.inputPath).value : event),
};

/** DescribeKey answers for the keys of AWS's examples, as KMS would give them while each is pending deletion. */
function describeKeyAs(metadata: Record<string, unknown>) {
  kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: "k", ...metadata } as never });
}
const DELETION_DATE = new Date("2021-11-02T23:25:25Z");

type Case = {
  fixture: string;
  /** Function keys of the serverless.yml rules that must match, sorted. */
  targets: string[];
  /** DescribeKey's answer, where the consumer may ask. */
  describe?: Record<string, unknown>;
  /** What the consumer of each target returns, by target key. */
  outcome?: Record<string, unknown>;
};

const CASES: Case[] = [
  {
    fixture: "cloudtrail-schedule-key-deletion",
    targets: ["followUpEvents"],
    describe: { KeyState: "PendingDeletion", Origin: "AWS_KMS", DeletionDate: DELETION_DATE },
    outcome: { followUpEvents: { outcome: "ignored", reason: "not in a CloudHSM key store" } },
  },
  {
    fixture: "cloudtrail-schedule-key-deletion-multi-region",
    targets: ["followUpEvents"],
    describe: { KeyState: "PendingReplicaDeletion", Origin: "AWS_KMS", MultiRegion: true },
    outcome: { followUpEvents: { outcome: "ignored", reason: expect.stringContaining("multi-Region") } },
  },
  {
    // The example's clusterId (cluster-1a23b4cdefg) is not a CloudHSM cluster id (base32: no 1), so DescribeKey
    // supplies the cluster; the record's deletion date names the execution.
    fixture: "cloudtrail-schedule-key-deletion-cloudhsm",
    targets: ["followUpEvents"],
    describe: {
      KeyState: "PendingDeletion",
      Origin: "AWS_CLOUDHSM",
      CustomKeyStoreId: CKS,
      CloudHsmClusterId: "cluster-jxhlf7644ne",
      DeletionDate: DELETION_DATE,
    },
    outcome: {
      followUpEvents: {
        outcome: "started",
        executionName: "followup-0987dcba-09fe-87dc-65ba-ab0987654321-20211102232525",
      },
    },
  },
  {
    fixture: "cloudtrail-cancel-key-deletion",
    targets: ["followUpEvents"],
    outcome: { followUpEvents: { outcome: "stopped", executions: [] } },
  },
  // DeleteKey of a default-store key: the rule asks for a custom key store id, so it is never delivered.
  { fixture: "cloudtrail-delete-key", targets: [] },
  {
    // "responseElements": null: the key ARN is only in the record's resources.
    fixture: "cloudtrail-delete-key-cloudhsm",
    targets: ["followUpEvents"],
    outcome: {
      followUpEvents: {
        outcome: "recorded",
        keyArn: `arn:aws:kms:us-west-2:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      },
    },
  },
  // Nothing reacts to CreateKey through EventBridge; the record is here for the local account's shape.
  { fixture: "cloudtrail-create-key-cloudhsm", targets: [] },
  {
    fixture: "cloudtrail-create-custom-key-store",
    targets: ["connectStart"],
    outcome: { connectStart: [expect.objectContaining({ customKeyStoreId: CKS, outcome: "started" })] },
  },
  {
    fixture: "cloudtrail-connect-custom-key-store",
    targets: ["connectStart", "describeKeyStore"],
    outcome: {
      connectStart: [expect.objectContaining({ customKeyStoreId: CKS, outcome: "started" })],
      describeKeyStore: { customKeyStoreId: CKS },
    },
  },
  { fixture: "cloudtrail-disconnect-custom-key-store", targets: [] },
  { fixture: "cloudtrail-update-custom-key-store", targets: [] },
  {
    fixture: "eventbridge-kms-cmk-deletion",
    targets: ["followUpEvents"],
    outcome: {
      followUpEvents: {
        outcome: "recorded",
        keyArn: `arn:aws:kms:us-west-2:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      },
    },
  },
];

/** Each case as EventBridge may deliver it; a service event under both detail-types (DOMAIN.md §5: unconfirmed). */
function deliveries(c: Case): { label: string; event: Record<string, unknown> }[] {
  const raw = awsFixture(c.fixture);
  if (!c.fixture.startsWith("cloudtrail-")) return [{ label: c.fixture, event: raw }];
  if (raw.eventType !== "AwsServiceEvent") return [{ label: c.fixture, event: wrapCloudTrail(raw) }];
  return ["AWS Service Event via CloudTrail", "AWS API Call via CloudTrail"].map((detailType) => ({
    label: `${c.fixture} as ${detailType}`,
    event: wrapCloudTrail(raw, detailType),
  }));
}

const DELIVERIES = CASES.flatMap((c) => deliveries(c).map((d) => ({ ...d, c })));

let rules: RuleConfig[];

beforeAll(async () => {
  const config = await loadServerlessConfig({ rootDir: ROOT, region: "us-east-1", accountId: ACCOUNT });
  rules = config.rules.filter((r) => r.eventPattern && r.enabled);
}, 180_000);

beforeEach(() => {
  kms.reset();
  sfn.reset();
  ddb.reset();
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:execution" });
  ddb.on(UpdateCommand).resolves({});
});

describe("AWS's documented events against the rules of serverless.yml", () => {
  it("covers every fixture of test/events/aws", () => {
    const listed = readFileSync(join(ROOT, "test/events/aws/SOURCES.md"), "utf8");
    for (const c of CASES) expect(listed).toContain(`${c.fixture}.json`);
  });

  it.each(DELIVERIES.map((d) => [d.label, d] as const))("returns the expected targets for %s", (_label, d) => {
    const matched = rules.filter((r) => matchesEventPattern(r.eventPattern!, d.event)).map((r) => r.target.key);

    expect([...new Set(matched)].sort()).toEqual(d.c.targets);
  });
});

describe("refused calls against the rules of serverless.yml", () => {
  // CloudTrail records refused calls too, with errorCode and errorMessage (KMS Developer Guide, ct-decrypt, "Decrypt
  // failure"); such a call changed nothing, so no rule starts, stops or informs a workflow from it.
  const calls = DELIVERIES.filter(
    (d) => d.c.targets.length > 0 && (d.event.detail as { eventType?: string }).eventType === "AwsApiCall",
  );

  it.each(calls.map((d) => [d.label, d] as const))("returns no target for %s when KMS refused it", (_label, d) => {
    const refused = structuredClone(d.event);
    Object.assign(refused.detail as object, {
      errorCode: "AccessDeniedException",
      errorMessage: "refused (test)",
      responseElements: null,
    });

    expect(rules.filter((r) => matchesEventPattern(r.eventPattern!, refused)).map((r) => r.target.key)).toEqual([]);
  });
});

describe("AWS's documented events against their consumers", () => {
  const delivered = DELIVERIES.filter((d) => d.c.targets.length > 0);

  it.each(delivered.map((d) => [d.label, d] as const))(
    "returns handled or ignored, never rejected, for %s",
    async (_l, d) => {
      if (d.c.describe) describeKeyAs(d.c.describe);
      for (const rule of rules.filter((r) => matchesEventPattern(r.eventPattern!, d.event))) {
        const consume = CONSUMERS[rule.target.key];
        if (!consume) throw new Error(`no consumer for ${rule.target.key}`);

        const outcome = await consume(structuredClone(d.event), rule).catch((e: unknown) => e);

        expect(outcome).not.toBeInstanceOf(InvalidInputError);
        expect(outcome).toEqual(d.c.outcome?.[rule.target.key]);
      }
    },
  );

  it("returns ignored, not rejected, when a default-store DeleteKey record reaches the follow-up anyway", async () => {
    const event = wrapCloudTrail(awsFixture("cloudtrail-delete-key"));

    expect(await handleDeletionEvent(followUpDeps, event)).toEqual({
      outcome: "ignored",
      reason: "not in a CloudHSM key store",
    });
  });

  it("starts the CloudHSM example's follow-up with the key ARN, store and backing key of the record", async () => {
    describeKeyAs(CASES[2]!.describe!);

    await handleDeletionEvent(followUpDeps, wrapCloudTrail(awsFixture("cloudtrail-schedule-key-deletion-cloudhsm")));

    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? "{}");
    expect(input).toEqual({
      keyArn: `arn:aws:kms:us-west-2:${ACCOUNT}:key/0987dcba-09fe-87dc-65ba-ab0987654321`,
      customKeyStoreId: CKS,
      clusterId: "cluster-jxhlf7644ne",
      backingKeyId: "backing-key-id",
      deletionDate: DELETION_DATE.toISOString(),
    });
  });
});
