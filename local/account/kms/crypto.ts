import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { z } from "zod";
import type { AccountContext } from "../account";
import { AwsServiceError } from "../errors";
import { KeyMaterialNotFoundError } from "../hsm/softhsm";
import type { KeyRecord } from "../model";
import type { Recorder } from "../protocol";
import { CUSTOM_KEY_STORE_CRYPTO_RATE } from "../quotas";
import { findCluster, isReachable } from "./clusters";
import {
  incorrectKey,
  invalidCiphertext,
  keyDisabled,
  keyPendingDeletion,
  keyUnavailable,
  kmsInvalidState,
  notFound,
} from "./exceptions";
import { effectiveState, findKey, getKeyStore, isKeyId, KIND, keyArn } from "./records";
import type { DecryptInput, EncryptInput, GenerateDataKeyInput } from "./schemas";

/**
 * Ciphertext blobs: a small header naming the KMS key, so Decrypt needs no KeyId, then AES-256-GCM output
 * (iv 12 | ciphertext | tag 16). The header and the encryption context together are the AAD, so a changed key id,
 * context or byte fails authentication (InvalidCiphertextException).
 */
const BLOB_VERSION = 0x01;
const BLOB_FORMAT = 0x4c;
const MAX_PLAINTEXT = 4096;
const MAX_CIPHERTEXT = 6144;

type Deps = { ctx: AccountContext };

/** Seals and opens with one KMS key, wherever its material lives. */
type Sealer = { seal(plaintext: Buffer, aad: Buffer): Buffer; open(body: Buffer, aad: Buffer): Buffer };

export function encrypt({ ctx }: Deps, req: z.infer<typeof EncryptInput>, record: Recorder) {
  const plaintext = blob(req.Plaintext, "plaintext", MAX_PLAINTEXT);
  const key = findKey(ctx, req.KeyId);
  record(cryptoRecord(key));
  requireSymmetric(key, req.EncryptionAlgorithm);
  const sealer = usableKey(ctx, key);
  dryRun(req.DryRun);
  return {
    CiphertextBlob: seal(key, sealer, plaintext, req.EncryptionContext).toString("base64"),
    KeyId: key.Arn,
    EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
  };
}

export function decrypt({ ctx }: Deps, req: z.infer<typeof DecryptInput>, record: Recorder) {
  const ciphertext = blob(req.CiphertextBlob, "ciphertextBlob", MAX_CIPHERTEXT);
  const { keyId, header, body } = parseBlob(ciphertext);
  if (req.KeyId !== undefined && findKey(ctx, req.KeyId).KeyId !== keyId) throw incorrectKey();
  const key = ctx.store.get<KeyRecord>(KIND.key, keyId);
  if (!key) throw notFound(`Key '${keyArn(ctx, keyId)}' does not exist`);
  record(cryptoRecord(key));
  requireSymmetric(key, req.EncryptionAlgorithm);
  const sealer = usableKey(ctx, key);
  dryRun(req.DryRun);
  const plaintext = sealer.open(body, aad(header, req.EncryptionContext));
  return { KeyId: key.Arn, Plaintext: plaintext.toString("base64"), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
}

export function generateDataKey({ ctx }: Deps, req: z.infer<typeof GenerateDataKeyInput>, record: Recorder) {
  if ((req.KeySpec === undefined) === (req.NumberOfBytes === undefined)) {
    throw new AwsServiceError(
      "ValidationException",
      "Specify either KeySpec or NumberOfBytes, but not both, in a GenerateDataKey request.",
    );
  }
  const key = findKey(ctx, req.KeyId);
  record(cryptoRecord(key));
  const sealer = usableKey(ctx, key);
  dryRun(req.DryRun);
  const size = req.NumberOfBytes ?? (req.KeySpec === "AES_128" ? 16 : 32);
  const plaintext = randomBytes(size);
  return {
    CiphertextBlob: seal(key, sealer, plaintext, req.EncryptionContext).toString("base64"),
    Plaintext: plaintext.toString("base64"),
    KeyId: key.Arn,
  };
}

function seal(key: KeyRecord, sealer: Sealer, plaintext: Buffer, context?: Record<string, string>): Buffer {
  const header = blobHeader(key.KeyId);
  return Buffer.concat([header, sealer.seal(plaintext, aad(header, context))]);
}

/**
 * The key must be Enabled; keys of a CloudHSM key store also need the store CONNECTED and the cluster reachable
 * (DOMAIN.md §2.2), and share the store's 1,800 requests per second (§7).
 */
function usableKey(ctx: AccountContext, key: KeyRecord): Sealer {
  const store = key.CustomKeyStoreId ? getKeyStore(ctx, key.CustomKeyStoreId) : undefined;
  if (store) ctx.quotas.take(`kms:custom-key-store-crypto:${store.CustomKeyStoreId}`, CUSTOM_KEY_STORE_CRYPTO_RATE);
  const state = effectiveState(ctx, key, store);
  if (state === "PendingDeletion") throw keyPendingDeletion(key.Arn);
  if (state === "Disabled") throw keyDisabled(key.Arn);
  if (state === "Unavailable") throw keyUnavailable(key.Arn);
  if (!key.CustomKeyStoreId) return softwareKey(key);
  const cluster = store && findCluster(ctx, store.CloudHsmClusterId);
  if (!store || !key.backingKeyId || !isReachable(cluster)) throw cannotCommunicate();
  const token = cluster.tokenLabel;
  const id = key.backingKeyId;
  const missing = () =>
    kmsInvalidState(`${key.Arn} is unusable: its backing key is not in CloudHSM cluster ${cluster.ClusterId}.`);
  return {
    seal(plaintext, additional) {
      try {
        return ctx.hsm.encrypt(token, id, plaintext, additional);
      } catch (error: unknown) {
        throw error instanceof KeyMaterialNotFoundError ? missing() : cannotCommunicate();
      }
    },
    open(body, additional) {
      let present: boolean;
      try {
        present = ctx.hsm.hasKey(token, id);
      } catch {
        throw cannotCommunicate();
      }
      if (!present) throw missing();
      try {
        return ctx.hsm.decrypt(token, id, body, additional);
      } catch {
        throw invalidCiphertext();
      }
    },
  };
}

/** Default key store: the key's own 256-bit material with node:crypto. */
function softwareKey(key: KeyRecord): Sealer {
  const material = Buffer.from(key.material ?? "", "hex");
  if (material.length !== 32) throw kmsInvalidState(`${key.Arn} has no key material.`);
  return {
    seal(plaintext, additional) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", material, iv);
      cipher.setAAD(additional);
      return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    },
    open(body, additional) {
      if (body.length < 12 + 16) throw invalidCiphertext();
      try {
        const decipher = createDecipheriv("aes-256-gcm", material, body.subarray(0, 12));
        decipher.setAAD(additional);
        decipher.setAuthTag(body.subarray(body.length - 16));
        return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]);
      } catch {
        throw invalidCiphertext();
      }
    },
  };
}

function blobHeader(keyId: string): Buffer {
  const id = Buffer.from(keyId, "ascii");
  return Buffer.concat([Buffer.from([BLOB_VERSION, BLOB_FORMAT, id.length]), id]);
}

function parseBlob(ciphertext: Buffer): { keyId: string; header: Buffer; body: Buffer } {
  if (ciphertext.length < 3 || ciphertext[0] !== BLOB_VERSION || ciphertext[1] !== BLOB_FORMAT) {
    throw invalidCiphertext();
  }
  const end = 3 + (ciphertext[2] as number);
  const keyId = ciphertext.subarray(3, end).toString("ascii");
  if (ciphertext.length <= end || !isKeyId(keyId)) throw invalidCiphertext();
  return { keyId, header: ciphertext.subarray(0, end), body: ciphertext.subarray(end) };
}

/** The encryption context binds as AAD in a canonical order, so {a,b} and {b,a} are the same context. */
function aad(header: Buffer, context: Record<string, string> = {}): Buffer {
  const canonical = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.concat([header, Buffer.from(JSON.stringify(canonical), "utf8")]);
}

/** JSON blobs are base64; a value that is not base64 cannot be deserialised at all. */
function blob(value: string, member: string, max: number): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1) {
    throw new AwsServiceError("SerializationException", `${member} is not a valid base64 blob`);
  }
  const bytes = Buffer.from(value, "base64");
  const bound =
    bytes.length < 1
      ? "Member must have length greater than or equal to 1"
      : bytes.length > max
        ? `Member must have length less than or equal to ${max}`
        : undefined;
  if (bound) {
    throw new AwsServiceError(
      "ValidationException",
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: ${bound}`,
    );
  }
  return bytes;
}

function requireSymmetric(key: KeyRecord, algorithm: string | undefined): void {
  if (algorithm !== undefined && algorithm !== "SYMMETRIC_DEFAULT") {
    throw new AwsServiceError(
      "InvalidKeyUsageException",
      `The encryption algorithm ${algorithm} is not valid for ${key.Arn}; symmetric encryption keys use SYMMETRIC_DEFAULT.`,
    );
  }
}

function dryRun(requested: boolean | undefined): void {
  if (requested) {
    throw new AwsServiceError(
      "DryRunOperationException",
      "The request would have succeeded, but the DryRun option is set.",
      412,
    );
  }
}

function cannotCommunicate(): AwsServiceError {
  return kmsInvalidState(
    "KMS cannot communicate with your CloudHSM cluster. This might be a transient network issue. If you see this error repeatedly, verify that the cluster is active and has an active HSM, and that the Network ACLs and the security group rules for the VPC of your CloudHSM cluster are correct.",
  );
}

/**
 * What a cryptographic call's record names: the key, and for a key in a custom key store its store ("All log entries
 * for cryptographic operations with a KMS key in a custom key store include an additionalEventData field with the
 * customKeyStoreId": KMS Developer Guide, ct-decrypt).
 */
function cryptoRecord(key: KeyRecord) {
  return {
    resources: [key.Arn],
    ...(key.CustomKeyStoreId ? { additionalEventData: { customKeyStoreId: key.CustomKeyStoreId } } : {}),
  };
}
