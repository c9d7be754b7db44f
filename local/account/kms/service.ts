import type { AccountContext } from "../account";
import type { Service } from "../protocol";
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
      CreateCustomKeyStore: (input) => createCustomKeyStore(deps, input),
      DescribeCustomKeyStores: (input) => describeCustomKeyStores(deps, input),
      ConnectCustomKeyStore: (input) => connectCustomKeyStore(deps, input),
      DisconnectCustomKeyStore: (input) => disconnectCustomKeyStore(deps, input),
      UpdateCustomKeyStore: (input) => updateCustomKeyStore(deps, input),
      DeleteCustomKeyStore: (input) => deleteCustomKeyStore(deps, input),
      CreateKey: (input) => createKey(deps, input),
      DescribeKey: (input) => describeKey(deps, input),
      ListKeys: (input) => listKeys(deps, input),
      EnableKey: (input) => setEnabled(deps, input, true),
      DisableKey: (input) => setEnabled(deps, input, false),
      ScheduleKeyDeletion: (input) => scheduleKeyDeletion(deps, input),
      CancelKeyDeletion: (input) => cancelKeyDeletion(deps, input),
      Encrypt: (input) => encrypt(deps, input),
      Decrypt: (input) => decrypt(deps, input),
      GenerateDataKey: (input) => generateDataKey(deps, input),
    },
    tick: (now) => tick(ctx, deps.due, now),
    nextDue: (after) => nextDue(ctx, after),
    recover: () => recover(ctx),
  };
}
