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
import { cancelKeyDeletion, createKey, describeKey, listKeys, scheduleKeyDeletion, setEnabled } from "./keys";
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
  ScheduleKeyDeletionInput,
  UpdateCustomKeyStoreInput,
} from "./schemas";
import { registerSeedRoutes } from "./seed";

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
        (request) => createCustomKeyStore(deps, request),
        KMS_RATES.CreateCustomKeyStore,
      ),
      DescribeCustomKeyStores: operation(
        DescribeCustomKeyStoresInput,
        (request) => describeCustomKeyStores(deps, request),
        KMS_RATES.DescribeCustomKeyStores,
      ),
      ConnectCustomKeyStore: operation(
        KeyStoreRefInput,
        (request) => connectCustomKeyStore(deps, request),
        KMS_RATES.ConnectCustomKeyStore,
      ),
      DisconnectCustomKeyStore: operation(
        KeyStoreRefInput,
        (request) => disconnectCustomKeyStore(deps, request),
        KMS_RATES.DisconnectCustomKeyStore,
      ),
      UpdateCustomKeyStore: operation(
        UpdateCustomKeyStoreInput,
        (request) => updateCustomKeyStore(deps, request),
        KMS_RATES.UpdateCustomKeyStore,
      ),
      DeleteCustomKeyStore: operation(
        KeyStoreRefInput,
        (request) => deleteCustomKeyStore(deps, request),
        KMS_RATES.DeleteCustomKeyStore,
      ),
      CreateKey: operation(CreateKeyInput, (request) => createKey(deps, request), KMS_RATES.CreateKey),
      DescribeKey: operation(KeyRefInput, (request) => describeKey(deps, request), KMS_RATES.DescribeKey),
      ListKeys: operation(ListKeysInput, (request) => listKeys(deps, request), KMS_RATES.ListKeys),
      EnableKey: operation(KeyRefInput, (request) => setEnabled(deps, request, true), KMS_RATES.EnableKey),
      DisableKey: operation(KeyRefInput, (request) => setEnabled(deps, request, false), KMS_RATES.DisableKey),
      ScheduleKeyDeletion: operation(
        ScheduleKeyDeletionInput,
        (request) => scheduleKeyDeletion(deps, request),
        KMS_RATES.ScheduleKeyDeletion,
      ),
      CancelKeyDeletion: operation(
        KeyRefInput,
        (request) => cancelKeyDeletion(deps, request),
        KMS_RATES.CancelKeyDeletion,
      ),
      Encrypt: operation(EncryptInput, (request) => encrypt(deps, request)),
      Decrypt: operation(DecryptInput, (request) => decrypt(deps, request)),
      GenerateDataKey: operation(GenerateDataKeyInput, (request) => generateDataKey(deps, request)),
    },
    tick: (now) => tick(ctx, deps.due, now),
    nextDue: (after) => nextDue(ctx, after),
    recover: () => recover(ctx),
  };
}
