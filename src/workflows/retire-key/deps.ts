import type { Alerts } from "../../ports/alerts";
import type { KeyStores } from "../../ports/key-stores";
import type { Retirements } from "../../ports/retirements";

/** What retire-key's steps use. */
export type RetireKeyDeps = {
  keyStores: Pick<KeyStores, "describeKey" | "disableKey" | "scheduleKeyDeletion">;
  retirements: Retirements;
  alerts: Alerts;
  now: () => Date;
};
