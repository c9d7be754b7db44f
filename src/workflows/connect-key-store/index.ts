import { defineWorkflow } from "../workflow";
import { ConnectInputSchema } from "./model";

/** Connects a key store, rotating kmsuser's password first (or watches a connect someone started). */
export const connectKeyStoreWorkflow = defineWorkflow({
  name: "connect-key-store",
  stateMachine: "connectKeyStore",
  input: ConnectInputSchema,
  config: [
    "CONNECT_STATE_MACHINE_ARN",
    "CLEANUP_STATE_MACHINE_ARN",
    "CLOUDHSM_CLI_PATH",
    "DASHBOARD_NAME",
    "STORES_DASHBOARD_NAME",
    "ORPHAN_TABLE_NAME",
    "SECRETS_KMS_KEY_ARN",
    "SECRET_PRINCIPALS",
    "OPERATOR_PRINCIPAL_ARNS",
  ],
  handlers: [
    "connectStart",
    "connectPrepare",
    "connectCheckPath",
    "connectStagePassword",
    "connectSetPassword",
    "connectTellKms",
    "connectLogoutKmsuser",
    "connectAddHsm",
    "connectHsmState",
    "connectMarkRotated",
    "connectAlert",
    // Connection-state signals: after each Describe, and the scheduled check of every store (src/store-signals).
    "connectObserve",
    "connectCheckStores",
  ],
});
