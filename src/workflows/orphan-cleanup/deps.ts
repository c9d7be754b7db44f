import type { DocumentPort, EventsPort, KmsPort } from "../../ports/clients";
import type { Hsm } from "../../ports/hsm";
import type { SecretsStore } from "../../ports/secrets";

/** The ports of the orphan-cleanup steps; functions/cleanup-*.ts wire the real ones, tests the local account's. */
export type CleanupDeps = {
  kms: KmsPort;
  sfn: { send(command: unknown): Promise<unknown> };
  secrets: SecretsStore;
  hsm: Hsm;
  db: DocumentPort;
  table: string;
  events: EventsPort;
  alertBusName: string;
  /** The account and Region whose KMS key ARNs a backing key's label may name. */
  accountId: string;
  region: string;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
};
