import type { Alerts } from "../../ports/alerts";
import type { Executions } from "../../ports/executions";
import type { Hsm } from "../../ports/hsm";
import type { KeyStores } from "../../ports/key-stores";
import type { OrphanRegister } from "../../ports/orphan-register";
import type { SecretsStore } from "../../ports/secrets";

/** The ports of the orphan-cleanup steps; functions/cleanup-*.ts wire the real ones, tests the local account's. */
export type CleanupDeps = {
  keyStores: KeyStores;
  executions: Executions;
  secrets: SecretsStore;
  hsm: Hsm;
  orphans: OrphanRegister;
  alerts: Alerts;
  /** The account and Region whose KMS key ARNs a backing key's label may name. */
  accountId: string;
  region: string;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
};
