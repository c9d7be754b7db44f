import * as z from "zod/mini";
import "./zod-locale";

/**
 * The product's configuration, read and validated once when a function starts (STYLE.md §5). Endpoints are not
 * configured here: the AWS SDK reads AWS_ENDPOINT_URL itself, which is how the same code talks to the local account.
 * Settings only some functions need are optional here and checked where they are used (`required`).
 */
const ConfigSchema = z.object({
  AWS_REGION: z.string().check(z.minLength(1, "AWS_REGION must be set")),
  POWERTOOLS_SERVICE_NAME: z._default(z.string(), "keystore-autopilot"),
  /** X-Ray subsegments for every SDK call (deploy param sdkTracing); off, the X-Ray SDK is never loaded. */
  SDK_TRACING: z._default(z.enum(["true", "false"]), "false"),
  /** Where alert events go (EventBridge bus name or ARN). */
  ALERT_BUS_NAME: z._default(z.string(), "default"),
  // --- connect-key-store ---
  /** The CloudHSM CLI binary; the Lambda layer puts it at /opt/cloudhsm/bin/cloudhsm-cli. */
  CLOUDHSM_CLI_PATH: z.optional(z.string()),
  /** Set by the local runtime for every function: the local account, which serves local/bin/cloudhsm-cli. */
  LOCAL_ACCOUNT_ENDPOINT: z.optional(z.string()),
  /** The connect-key-store state machine, for the starter function. */
  CONNECT_STATE_MACHINE_ARN: z.optional(z.string()),
  // --- deletion-follow-up ---
  /** This account's id: events from any other account are rejected. */
  ACCOUNT_ID: z.optional(z.string()),
  /** The deletion-follow-up state machine the event handler starts. */
  FOLLOW_UP_STATE_MACHINE_ARN: z.optional(z.string()),
  /** The orphan register (DynamoDB table). */
  ORPHAN_TABLE_NAME: z.optional(z.string()),
  /** The stage's dashboard, and the per-store one the store check writes (serverless.yml Dashboard, StoresDashboard). */
  DASHBOARD_NAME: z.optional(z.string()),
  STORES_DASHBOARD_NAME: z.optional(z.string()),
  /** Key stores whose keys' deletion a use cancels (param cancelDeletionOnUse): none, all, or cks-… ids. */
  CANCEL_DELETION_ON_USE: z._default(z.string(), "none"),
  /** Comma-separated Regions where copies of the clusters' backups may be (param backupCopyRegions; CopyBackupToRegion). */
  BACKUP_COPY_REGIONS: z._default(z.string(), ""),
  /** Key stores whose backups holding deleted keys' material the product deletes (param backupPurgeStores). */
  BACKUP_PURGE_STORES: z._default(z.string(), "none"),
  // --- orphan-cleanup ---
  /** The orphan-cleanup state machine, for the starter function. */
  CLEANUP_STATE_MACHINE_ARN: z.optional(z.string()),
  /** Whether a window waits for `keystore-autopilot approve` unless its input says otherwise (on in AWS). */
  CLEANUP_APPROVAL: z._default(z.enum(["required", "skip"]), "required"),
  /** Hour (UTC) of the daily window that orphans registered by follow-ups wait for. */
  CLEANUP_WINDOW_HOUR_UTC: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(23)), 3),
  /**
   * Hours a label found in the cluster without a KMS key (and without a deletion record) stays on record before a
   * later window may delete its material: KMS's eventual consistency can hide a new key for minutes.
   */
  DISCOVERY_QUARANTINE_HOURS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 24),
  // --- secrets: every secret the product creates ---
  /** The stack's key for secrets (resources SecretsKey): CreateSecret's KmsKeyId. */
  SECRETS_KMS_KEY_ARN: z.optional(z.string()),
  /** JSON {"<kind>": ["<role ARN>", …]}: the roles that may read and write each kind the function creates. */
  SECRET_PRINCIPALS: z.optional(z.string()),
  /** Comma-separated role ARNs (param operatorPrincipalArns) that may read and write every kind. */
  OPERATOR_PRINCIPAL_ARNS: z._default(z.string(), ""),
  /** Read only for SDK clients too old to read it themselves (client-cloudhsm-v2 3.332, the registry's newest). */
  AWS_ENDPOINT_URL: z.optional(z.string()),
});

export type Config = z.infer<typeof ConfigSchema>;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid configuration: ${String(issue?.path[0])}: ${issue?.message}`);
  }
  return parsed.data;
}

export const config = readConfig();

/** A setting this function needs: fails fast, naming the variable, when serverless.yml did not set it. */
export function required<K extends keyof Config>(key: K): NonNullable<Config[K]> {
  const value = config[key];
  if (value === undefined || value === null || value === "") throw new Error(`Missing configuration: ${String(key)}`);
  return value as NonNullable<Config[K]>;
}
