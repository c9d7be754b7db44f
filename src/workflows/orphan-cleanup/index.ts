import { defineWorkflow } from "../workflow";
import { CleanupInputSchema } from "./model";

/** Deletes registered orphaned key material from a key store's cluster in an approved maintenance window. */
export const orphanCleanupWorkflow = defineWorkflow({
  name: "orphan-cleanup",
  stateMachine: "orphanCleanup",
  input: CleanupInputSchema,
  config: [
    "CLEANUP_STATE_MACHINE_ARN",
    "CLEANUP_APPROVAL",
    "CLEANUP_WINDOW_HOUR_UTC",
    "DISCOVERY_QUARANTINE_HOURS",
    "CONNECT_STATE_MACHINE_ARN",
    "ACCOUNT_ID",
    "ORPHAN_TABLE_NAME",
    "CLOUDHSM_CLI_PATH",
    "SECRETS_KMS_KEY_ARN",
    "SECRET_PRINCIPALS",
    "OPERATOR_PRINCIPAL_ARNS",
  ],
  handlers: [
    "cleanupStart",
    "cleanupPrepare",
    "cleanupRequestApproval",
    "cleanupScan",
    "cleanupSweep",
    "cleanupFinish",
  ],
  cli: { commands: ["approve"] },
});
