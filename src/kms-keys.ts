import { DescribeKeyCommand, type KeyMetadata } from "@aws-sdk/client-kms";
import type { KmsPort } from "./ports/clients";

/** What KMS says about one key: its metadata, or `gone`. */
export type KeyAnswer = { gone: true } | { gone: false; metadata: KeyMetadata };

/**
 * DescribeKey, where only NotFoundException means `gone`: every other error propagates. KMS is eventually consistent
 * (KMS Developer Guide, "Eventual consistency"): a key minutes old may answer NotFoundException too, so `gone` is never
 * enough on its own to destroy material (see src/workflows/orphan-cleanup/sweep.ts).
 */
export async function describeKey(kms: KmsPort, keyArn: string): Promise<KeyAnswer> {
  try {
    const out = await kms.send(new DescribeKeyCommand({ KeyId: keyArn }));
    if (!out?.KeyMetadata) throw new Error(`DescribeKey returned no KeyMetadata for ${keyArn}`);
    return { gone: false, metadata: out.KeyMetadata };
  } catch (error: unknown) {
    if ((error as Error)?.name === "NotFoundException") return { gone: true };
    throw error;
  }
}
