import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  EncryptCommand,
} from "@aws-sdk/client-kms";
import { LocalAccountProcess } from "../local/account/process";
import type { Figures } from "./run";
import { median, round, throughput } from "./stats";

const RUNS = 5;
const OPS_PER_RUN = 1000;
const CONCURRENCY = 16;
const KEYS_PER_RUN = 100;

/**
 * KMS Encrypt/Decrypt throughput through the SDK (in the default key store and in a CloudHSM key store, where the
 * work runs inside SoftHSM2) and the CreateKey rate into SoftHSM2. Quotas are off: this measures the local account.
 */
export async function localAccountBench(): Promise<Figures> {
  const account = await LocalAccountProcess.start({ env: { LOCAL_ACCOUNT_QUOTAS: "off" } });
  try {
    const kms = account.kms();
    const seed = await account.control<{ clusterId: string; trustAnchor: string; kmsuserPassword: string }>(
      "POST",
      "/_local/actions/seed-active-cluster",
      {},
    );
    const { CustomKeyStoreId } = await kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: "bench",
        CloudHsmClusterId: seed.clusterId,
        TrustAnchorCertificate: seed.trustAnchor,
        KeyStorePassword: seed.kmsuserPassword,
      }),
    );
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
    await account.advance("20m");
    const state = await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId }));
    if (state.CustomKeyStores?.[0]?.ConnectionState !== "CONNECTED") throw new Error("bench key store did not connect");

    const createRates: number[] = [];
    let hsmKeyId = "";
    for (let run = 0; run < 3; run++) {
      createRates.push(
        await throughput(KEYS_PER_RUN, 4, async () => {
          const out = await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId }));
          hsmKeyId = out.KeyMetadata?.KeyId ?? hsmKeyId;
        }),
      );
    }
    const defaultKeyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";

    const figures: Figures = { "CreateKey into SoftHSM2 (keys/s, median of 3)": round(median(createRates)) };
    for (const [store, keyId] of [
      ["default key store", defaultKeyId],
      ["CloudHSM key store", hsmKeyId],
    ] as const) {
      const plaintext = new TextEncoder().encode("x".repeat(256));
      const blob = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }))).CiphertextBlob;
      const enc: number[] = [];
      const dec: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        enc.push(
          await throughput(OPS_PER_RUN, CONCURRENCY, () =>
            kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext })),
          ),
        );
        dec.push(
          await throughput(OPS_PER_RUN, CONCURRENCY, () => kms.send(new DecryptCommand({ CiphertextBlob: blob }))),
        );
      }
      figures[`Encrypt, ${store} (ops/s, median of ${RUNS})`] = round(median(enc));
      figures[`Decrypt, ${store} (ops/s, median of ${RUNS})`] = round(median(dec));
    }
    return figures;
  } finally {
    await account.stop();
  }
}
