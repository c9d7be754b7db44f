import { cloudhsm } from "../adapters/clients/cloudhsm";
import { eventbridge } from "../adapters/clients/eventbridge";
import { kms } from "../adapters/clients/kms";
import { sfn } from "../adapters/clients/sfn";
import { hsm, secretsStore } from "../adapters/hsm";
import { config } from "../config";
import type { ConnectDeps } from "./steps";

/** The connect-key-store ports, made once per container (STYLE.md §4). */
export const connectDeps: ConnectDeps = {
  kms,
  cloudhsm,
  sfn,
  secrets: secretsStore,
  hsm,
  events: eventbridge,
  alertBusName: config.ALERT_BUS_NAME,
  now: () => new Date(),
};
