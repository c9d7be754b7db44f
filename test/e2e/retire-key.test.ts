import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  type KeyMetadata,
  type KMSClient,
} from "@aws-sdk/client-kms";
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { connect, createStore, failure, patientKms, seedCluster } from "../../local/account/driver";
import { CREDENTIALS, LocalAccountProcess } from "../../local/account/process";
import { DynamoRetirements } from "../../src/adapters/retirements";
import { runAutopilot } from "../support/autopilot-cli";
import { eventually } from "../support/eventually";

const MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-retireKey";
const FOLLOW_UP = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-deletionFollowUp";
const TABLE = "keystore-autopilot-dev-orphans";

/** retire-key on the local account with serverless.yml deployed: the committed ASL, the real handlers. */
describe("retire-key on the local runtime", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let sfn: SFNClient;
  let retirements: DynamoRetirements;
  let storeId: string;

  beforeAll(async () => {
    account = await LocalAccountProcess.start({ entry: "local/start.ts" });
    kms = patientKms(account);
    sfn = new SFNClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS, maxAttempts: 1 });
    const cluster = await seedCluster(account);
    storeId = await createStore(kms, cluster, "retire-store");
    await connect(account, kms, storeId);
    retirements = new DynamoRetirements(await account.register({ maxAttempts: 1 }), TABLE);
  });
  afterAll(() => account.stop());

  const newKey = async (): Promise<KeyMetadata> =>
    (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata as KeyMetadata;
  const state = async (key: KeyMetadata) =>
    (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState;
  const retire = async (name: string, input: Record<string, unknown>) =>
    (await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name, input: JSON.stringify(input) })))
      .executionArn as string;
  const inProbation = (arn: string) =>
    eventually(
      async () =>
        (await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }))).events ?? [],
      (events) => events.some((e) => e.type === "WaitStateEntered"),
      "the probation",
    );
  const ended = (arn: string): Promise<DescribeExecutionCommandOutput> =>
    eventually(
      () => sfn.send(new DescribeExecutionCommand({ executionArn: arn })),
      (d) => d.status !== "RUNNING",
      "the retirement to end",
    );
  const useRecorded = (key: KeyMetadata) =>
    eventually(
      () => retirements.get(key.Arn as string),
      (r) => (r?.uses.length ?? 0) > 0,
      "the use to be recorded",
    );
  const alertsOf = async (type: string) =>
    (await account.events())
      .map((e) => e.event)
      .filter((e) => e.source === "keystore-autopilot" && (e.detail as { type?: string }).type === type);

  it("returns DELETION_SCHEDULED after the probation, the key Disabled meanwhile, and its deletion followed", async () => {
    const key = await newKey();
    const arn = await retire("retire-quiet", { keyArn: key.Arn, probationDays: 1, pendingWindowInDays: 7 });
    await inProbation(arn);
    expect(await state(key)).toBe("Disabled");

    await account.advance("25h");
    const done = await ended(arn);

    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output ?? "{}")).toMatchObject({
      result: "DELETION_SCHEDULED",
      keyArn: key.Arn,
      usesDuringProbation: 0,
      forced: false,
    });
    expect(await state(key)).toBe("PendingDeletion");
    await eventually(
      async () => (await sfn.send(new ListExecutionsCommand({ stateMachineArn: FOLLOW_UP }))).executions ?? [],
      (list) => list.some((e) => e.name?.startsWith(`followup-${key.KeyId}-`)),
      "the deletion follow-up",
    );
    expect((await retirements.get(key.Arn as string))?.state).toBe("DELETION_SCHEDULED");
  });

  it("returns KeyUsedDuringProbation with the key still Disabled, and an alert naming the caller, when it was used", async () => {
    const key = await newKey();
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") }));
    const arn = await retire("retire-used", { keyArn: key.Arn, probationDays: 1 });
    await inProbation(arn);

    const refused = await failure(kms.send(new DecryptCommand({ CiphertextBlob })));
    expect(refused).toMatchObject({ name: "DisabledException", message: `${key.Arn} is disabled.` });
    await useRecorded(key);
    await account.advance("25h");
    const done = await ended(arn);

    expect(done).toMatchObject({ status: "FAILED", error: "KeyUsedDuringProbation" });
    expect(await state(key)).toBe("Disabled");
    const [alert] = await alertsOf("KeyUsedDuringProbation");
    expect(alert?.detail).toMatchObject({
      severity: "WARNING",
      keyArn: key.Arn,
      customKeyStoreId: storeId,
      details: { uses: 1, callers: "arn:aws:iam::111122223333:user/local" },
    });
    expect((await retirements.get(key.Arn as string))?.state).toBe("KEPT");
  });

  it("returns DELETION_SCHEDULED with forced true when it was used and force is set", async () => {
    const key = await newKey();
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") }));
    const arn = await retire("retire-forced", { keyArn: key.Arn, probationDays: 1, force: true });
    await inProbation(arn);
    await failure(kms.send(new DecryptCommand({ CiphertextBlob })));
    await useRecorded(key);

    await account.advance("25h");
    const done = await ended(arn);

    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output ?? "{}")).toMatchObject({
      result: "DELETION_SCHEDULED",
      usesDuringProbation: 1,
      forced: true,
    });
    expect(await state(key)).toBe("PendingDeletion");
  });

  it("returns RetirementInProgressError for a second retirement of a key in probation, and changes nothing", async () => {
    const key = await newKey();
    const first = await retire("retire-first", { keyArn: key.Arn, probationDays: 2 });
    await inProbation(first);

    const second = await ended(await retire("retire-second", { keyArn: key.Arn, probationDays: 0 }));

    expect(second).toMatchObject({ status: "FAILED", error: "RetirementInProgressError" });
    expect(second.cause).toContain("retire-first");
    expect((await retirements.get(key.Arn as string))?.execution).toBe("retire-first");
    expect(await state(key)).toBe("Disabled");
  });

  it("returns a new probation for a retirement whose execution was stopped during the last one", async () => {
    const key = await newKey();
    const first = await retire("retire-stopped", { keyArn: key.Arn, probationDays: 3 });
    await inProbation(first);
    await sfn.send(new StopExecutionCommand({ executionArn: first, error: "Operator", cause: "changed my mind" }));

    const second = await retire("retire-again", { keyArn: key.Arn, probationDays: 1 });
    await inProbation(second);

    expect((await retirements.get(key.Arn as string))?.execution).toBe("retire-again");
    await account.advance("25h");
    expect(await ended(second)).toMatchObject({ status: "SUCCEEDED" });
    expect(await state(key)).toBe("PendingDeletion");
  });

  it("returns NotInCloudHsmKeyStoreError and leaves a default key store's key Enabled", async () => {
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata as KeyMetadata;

    const done = await ended(await retire("retire-default", { keyArn: key.Arn }));

    expect(done).toMatchObject({ status: "FAILED", error: "NotInCloudHsmKeyStoreError" });
    expect(await state(key)).toBe("Enabled");
    expect(await retirements.get(key.Arn as string)).toBeUndefined();
  });

  it("returns exit 0 and DELETION_SCHEDULED when `keystore-autopilot retire` is given the key's id", async () => {
    const key = await newKey();

    const run = await runAutopilot(account, [
      "retire",
      key.KeyId as string,
      "--probation-days",
      "0",
      "--pending-window-days",
      "7",
      "--json",
    ]);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: "SUCCEEDED",
      output: { result: "DELETION_SCHEDULED", keyArn: key.Arn },
    });
    expect(run.stderr).toContain(`Retiring ${key.Arn}`);
    expect(await state(key)).toBe("PendingDeletion");
  });

  it("returns exit 2, starting nothing, when `retire` gets a probation that is not a number of days", async () => {
    const key = await newKey();

    const run = await runAutopilot(account, ["retire", key.Arn as string, "--probation-days", "two"]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--probation-days must be a whole number of days, not 'two'");
    expect(await state(key)).toBe("Enabled");
  });
});
