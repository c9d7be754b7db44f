import { rmSync } from "node:fs";
import { resolve } from "node:path";
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  type KMSClient,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import { addHsm, cliOk, createCluster, initializeCluster } from "../test/support/cloudhsm";
import { connect, createStore, disconnect, patientKms } from "../test/support/kms";
import { LocalAccountProcess } from "../test/support/local-account";

/**
 * `npm run demo`: the life of a CloudHSM key store on a fresh local account, through the real AWS SDK and the
 * CloudHSM CLI contract, with a timeline in simulated and real time. It ends where the product's work begins:
 * a deleted key whose material KMS could not remove (the store was disconnected) is still in the cluster.
 * The four workflows take over each manual step here as they land (issues 4–8).
 */
const DATA = resolve(process.env.LOCAL_ACCOUNT_DATA ?? ".local-account-demo");

type Row = { step: string; result: string; simulated: string; real: string };
const rows: Row[] = [];

async function main(): Promise<void> {
  rmSync(DATA, { recursive: true, force: true });
  const account = await LocalAccountProcess.start({ dataDir: DATA });
  const realStart = performance.now();
  const simStart = (await account.now()).getTime();
  const step = async <T>(name: string, run: () => Promise<T>, show: (value: T) => string): Promise<T> => {
    const value = await run();
    const sim = (await account.now()).getTime() - simStart;
    const row = {
      step: name,
      result: show(value),
      simulated: duration(sim),
      real: `${((performance.now() - realStart) / 1000).toFixed(1)}s`,
    };
    rows.push(row);
    console.log(`  [sim +${row.simulated.padEnd(9)}] [real ${row.real.padStart(6)}]  ${row.step}: ${row.result}`);
    return value;
  };

  console.log(`Local account at ${account.endpoint} (data: ${DATA})\n`);
  try {
    const kms = patientKms(account);
    const cluster = await step(
      "CreateCluster in two AZs",
      () => createCluster(account, { zones: ["a", "b"] }),
      (c) => `${c.ClusterId} ${c.State}`,
    );
    const clusterId = cluster.ClusterId as string;
    await step(
      "First HSM",
      () => addHsm(account, clusterId, "a"),
      (h) => `${h.HsmId} ${h.State} in ${h.AvailabilityZone}`,
    );
    const { trustAnchor } = await step(
      "Sign the CSR with our CA and InitializeCluster",
      () => initializeCluster(account, clusterId),
      () => "INITIALIZED",
    );
    const adminPassword = "DemoAdminPassw0rd";
    const kmsuserPassword = "DemoKmsuserPassw0rd";
    await step(
      "cloudhsm-cli cluster activate",
      async () => cliOk(account, clusterId, ["cluster", "activate", "--password", adminPassword]),
      () => "ACTIVE, admin password set",
    );
    await step(
      "Second HSM in another AZ",
      () => addHsm(account, clusterId, "b"),
      (h) => `${h.HsmId} ${h.State} in ${h.AvailabilityZone}`,
    );
    const admin = { role: "admin", username: "admin", password: adminPassword } as const;
    await step(
      "cloudhsm-cli user create kmsuser",
      async () =>
        cliOk(
          account,
          clusterId,
          ["user", "create", "--username", "kmsuser", "--role", "crypto-user", "--password", kmsuserPassword],
          admin,
        ),
      () => "crypto user kmsuser",
    );
    const storeId = await step(
      "CreateCustomKeyStore",
      () => createStore(kms, { clusterId, trustAnchor, kmsuserPassword } as never, "demo-store"),
      (id) => id,
    );
    await step(
      "ConnectCustomKeyStore (KMS rotates kmsuser's password)",
      () => connect(account, kms, storeId),
      (s) => `${s.ConnectionState}`,
    );

    const [keep, cleanDelete, orphaned] = await step(
      "CreateKey x3 in the CloudHSM key store",
      async () => Promise.all([1, 2, 3].map(() => createKey(kms, storeId))),
      (ids) => ids.map((id) => id.slice(0, 8)).join(", "),
    );
    await step(
      "Encrypt, Decrypt, GenerateDataKey inside SoftHSM2",
      () => roundTrip(kms, keep as string),
      (ok) => ok,
    );

    await step(
      "ScheduleKeyDeletion (7 days) while CONNECTED",
      () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: cleanDelete, PendingWindowInDays: 7 })),
      (o) => `${o.KeyState}`,
    );
    await step(
      "Advance the clock 8 days",
      () => account.advance("8d"),
      (c) => `now ${c.now}`,
    );

    await step(
      "ScheduleKeyDeletion (7 days), then the store is disconnected",
      async () => {
        await kms.send(new ScheduleKeyDeletionCommand({ KeyId: orphaned, PendingWindowInDays: 7 }));
        return disconnect(account, kms, storeId);
      },
      (s) => `${s.ConnectionState}`,
    );
    await step(
      "Advance the clock 8 days",
      () => account.advance("8d"),
      (c) => `now ${c.now}`,
    );

    const status = await step(
      "DeleteKey events: backingKeysDeletionStatus",
      async () => {
        const events = await account.events();
        return events
          .map((e) => e.event.detail)
          .filter((d) => d.eventName === "DeleteKey")
          .map(
            (d) =>
              JSON.parse(String((d.additionalEventData as Record<string, unknown>).backingKeysDeletionStatus))[0]
                .deletionStatus,
          );
      },
      (s) => s.join(", "),
    );
    await step(
      "DescribeKey on the deleted key",
      () => describeGone(kms, orphaned as string),
      (r) => r,
    );
    const orphans = await step(
      "As admin: reset kmsuser's password; as kmsuser: key list",
      async () => {
        cliOk(
          account,
          clusterId,
          ["user", "change-password", "--username", "kmsuser", "--role", "crypto-user", "--password", kmsuserPassword],
          admin,
        );
        const listed = cliOk(account, clusterId, ["key", "list", "--max-items", "100"], {
          role: "crypto-user",
          username: "kmsuser",
          password: kmsuserPassword,
        }) as { matched_keys: { attributes: { label: string } }[] };
        return listed.matched_keys.map((k) => k.attributes.label).filter((label) => label.endsWith(orphaned as string));
      },
      (o) => (o.length === 1 ? `orphaned key material found: ${o[0]}` : `expected one orphan, found ${o.length}`),
    );

    const ok = status.join(",") === "SUCCESS,FAILURE" && orphans.length === 1;
    console.log(
      ok
        ? `\nDone: one key deleted cleanly, one left orphaned key material in ${clusterId}.\nInspect it: LOCAL_ACCOUNT_DATA=${DATA} npm start`
        : "\nThe demo did not reach the expected end state.",
    );
    const last = rows.at(-1);
    console.log(`${rows.length} steps, ${last?.simulated} simulated in ${last?.real} real time.`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    await account.stop();
  }
}

async function createKey(kms: KMSClient, storeId: string): Promise<string> {
  const out = await kms.send(
    new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId, Description: "demo" }),
  );
  return out.KeyMetadata?.KeyId as string;
}

async function roundTrip(kms: KMSClient, keyId: string): Promise<string> {
  const context = { purpose: "demo" };
  const enc = await kms.send(
    new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("hello, HSM"), EncryptionContext: context }),
  );
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context }));
  const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256" }));
  const text = Buffer.from(dec.Plaintext ?? []).toString();
  if (text !== "hello, HSM" || dk.Plaintext?.length !== 32) throw new Error("crypto round trip failed");
  return `decrypted "${text}", 256-bit data key`;
}

async function describeGone(kms: KMSClient, keyId: string): Promise<string> {
  try {
    await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    return "still exists";
  } catch (error: unknown) {
    return (error as Error).name;
  }
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours}h${minutes % 60}m` : `${Math.floor(hours / 24)}d${hours % 24}h`;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
