import type { AccountContext } from "../account";
import { operation, type Service } from "../protocol";
import { KMS_RATES } from "../quotas";
import { decrypt, encrypt, generateDataKey } from "./crypto";
import {
  connectCustomKeyStore,
  createCustomKeyStore,
  deleteCustomKeyStore,
  describeCustomKeyStores,
  disconnectCustomKeyStore,
  updateCustomKeyStore,
} from "./key-stores";
import {
  cancelKeyDeletion,
  createKey,
  createKeyParameters,
  describeKey,
  listKeys,
  listResourceTags,
  scheduleKeyDeletion,
  setEnabled,
  tagResource,
  untagResource,
} from "./keys";
import { nextDue, recover, tick } from "./lifecycle";
import { DueTimes } from "./scheduler";
import {
  CreateCustomKeyStoreInput,
  CreateKeyInput,
  DecryptInput,
  DescribeCustomKeyStoresInput,
  EncryptInput,
  GenerateDataKeyInput,
  KeyRefInput,
  KeyStoreRefInput,
  ListKeysInput,
  ListResourceTagsInput,
  ScheduleKeyDeletionInput,
  TagResourceInput,
  UntagResourceInput,
  UpdateCustomKeyStoreInput,
} from "./schemas";
import { registerSeedRoutes } from "./seed";
import { defined } from "./trail";

/** Calls about one key store: its id (ct-connect-keystore, ct-disconnect-keystore, ct-delete-keystore). */
const keyStoreCall = { request: (r: { CustomKeyStoreId: string }) => ({ customKeyStoreId: r.CustomKeyStoreId }) };
/** Calls about one key: the key id as the caller gave it (ct-enablekey, ct-disablekey, ct-cancel-key-deletion). */
const keyCall = { request: (r: { KeyId: string }) => ({ keyId: r.KeyId }) };

/**
 * Encrypt, Decrypt and GenerateDataKey as KMS logs them: the algorithm always, never the plaintext or the ciphertext
 * (ct-encrypt, ct-decrypt: "The ciphertext in the request and the plaintext in the response are omitted").
 */
function cryptoParameters(r: {
  KeyId?: string;
  EncryptionAlgorithm?: string;
  EncryptionContext?: Record<string, string>;
}) {
  return defined({
    keyId: r.KeyId,
    encryptionAlgorithm: r.EncryptionAlgorithm ?? "SYMMETRIC_DEFAULT",
    encryptionContext: r.EncryptionContext,
  });
}

/**
 * KMS (`TrentService`, JSON 1.1): custom key stores on CloudHSM clusters and symmetric keys in them or in the default
 * key store, with AWS's states, exceptions, quotas and CloudTrail records (DOMAIN.md §1–§5, §7). Every operation runs
 * synchronously inside the request's transaction; connects, disconnects and key deletions settle in `tick`.
 */
export function createKmsService(ctx: AccountContext): Service {
  const deps = { ctx, due: new DueTimes() };
  registerSeedRoutes(ctx);
  return {
    target: "TrentService",
    name: "kms",
    jsonVersion: "1.1",
    internalError: { code: "KMSInternalException", status: 500 },
    operations: {
      CreateCustomKeyStore: operation(
        CreateCustomKeyStoreInput,
        (request, record) => createCustomKeyStore(deps, request, record),
        {
          rate: KMS_RATES.CreateCustomKeyStore,
          // Never the password or the trust anchor (ct-create-keystore).
          trail: {
            request: (r) => defined({ customKeyStoreName: r.CustomKeyStoreName, clusterId: r.CloudHsmClusterId }),
          },
        },
      ),
      DescribeCustomKeyStores: operation(
        DescribeCustomKeyStoresInput,
        (request) => describeCustomKeyStores(deps, request),
        { rate: KMS_RATES.DescribeCustomKeyStores },
      ),
      ConnectCustomKeyStore: operation(
        KeyStoreRefInput,
        (request, record) => connectCustomKeyStore(deps, request, record),
        { rate: KMS_RATES.ConnectCustomKeyStore, trail: keyStoreCall },
      ),
      DisconnectCustomKeyStore: operation(
        KeyStoreRefInput,
        (request, record) => disconnectCustomKeyStore(deps, request, record),
        { rate: KMS_RATES.DisconnectCustomKeyStore, trail: keyStoreCall },
      ),
      UpdateCustomKeyStore: operation(
        UpdateCustomKeyStoreInput,
        (request, record) => updateCustomKeyStore(deps, request, record),
        {
          rate: KMS_RATES.UpdateCustomKeyStore,
          // Never the password (ct-update-keystore).
          trail: {
            request: (r) =>
              defined({
                customKeyStoreId: r.CustomKeyStoreId,
                newCustomKeyStoreName: r.NewCustomKeyStoreName,
                clusterId: r.CloudHsmClusterId,
              }),
          },
        },
      ),
      DeleteCustomKeyStore: operation(
        KeyStoreRefInput,
        (request, record) => deleteCustomKeyStore(deps, request, record),
        { rate: KMS_RATES.DeleteCustomKeyStore, trail: keyStoreCall },
      ),
      CreateKey: operation(CreateKeyInput, (request, record) => createKey(deps, request, record), {
        rate: KMS_RATES.CreateKey,
        trail: { request: createKeyParameters },
      }),
      DescribeKey: operation(KeyRefInput, (request) => describeKey(deps, request), { rate: KMS_RATES.DescribeKey }),
      TagResource: operation(TagResourceInput, (request, record) => tagResource(deps, request, record), {
        trail: {
          request: (r) => ({ keyId: r.KeyId, tags: r.Tags.map((t) => ({ tagKey: t.TagKey, tagValue: t.TagValue })) }),
        },
      }),
      UntagResource: operation(UntagResourceInput, (request, record) => untagResource(deps, request, record), {
        trail: { request: (r) => ({ keyId: r.KeyId, tagKeys: r.TagKeys }) },
      }),
      ListResourceTags: operation(ListResourceTagsInput, (request) => listResourceTags(deps, request)),
      ListKeys: operation(ListKeysInput, (request) => listKeys(deps, request), { rate: KMS_RATES.ListKeys }),
      EnableKey: operation(KeyRefInput, (request, record) => setEnabled(deps, request, record, true), {
        rate: KMS_RATES.EnableKey,
        trail: keyCall,
      }),
      DisableKey: operation(KeyRefInput, (request, record) => setEnabled(deps, request, record, false), {
        rate: KMS_RATES.DisableKey,
        trail: keyCall,
      }),
      ScheduleKeyDeletion: operation(
        ScheduleKeyDeletionInput,
        (request, record) => scheduleKeyDeletion(deps, request, record),
        {
          rate: KMS_RATES.ScheduleKeyDeletion,
          trail: { request: (r) => defined({ keyId: r.KeyId, pendingWindowInDays: r.PendingWindowInDays }) },
        },
      ),
      CancelKeyDeletion: operation(KeyRefInput, (request, record) => cancelKeyDeletion(deps, request, record), {
        rate: KMS_RATES.CancelKeyDeletion,
        trail: keyCall,
      }),
      Encrypt: operation(EncryptInput, (request, record) => encrypt(deps, request, record), {
        trail: { readOnly: true, request: (r) => cryptoParameters(r) },
      }),
      Decrypt: operation(DecryptInput, (request, record) => decrypt(deps, request, record), {
        trail: { readOnly: true, request: (r) => cryptoParameters(r) },
      }),
      GenerateDataKey: operation(GenerateDataKeyInput, (request, record) => generateDataKey(deps, request, record), {
        trail: {
          readOnly: true,
          request: (r) =>
            defined({
              keyId: r.KeyId,
              keySpec: r.KeySpec,
              numberOfBytes: r.NumberOfBytes,
              encryptionContext: r.EncryptionContext,
            }),
        },
      }),
    },
    tick: (now) => tick(ctx, deps.due, now),
    nextDue: (after) => nextDue(ctx, after),
    recover: () => recover(ctx),
  };
}
