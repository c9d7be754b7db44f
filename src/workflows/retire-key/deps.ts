import type { Alerts } from "../../ports/alerts";
import type { Executions } from "../../ports/executions";
import type { KeyStores } from "../../ports/key-stores";
import type { Retirements } from "../../ports/retirements";

/** What retire-key's steps use. */
export type RetireKeyDeps = {
  keyStores: Pick<KeyStores, "describeKey" | "disableKey" | "scheduleKeyDeletion">;
  retirements: Retirements;
  alerts: Alerts;
  /** Whether the execution holding a retirement still runs. */
  executions: Pick<Executions, "status">;
  now: () => Date;
};
