import { cloudhsm } from "../adapters/clients/cloudhsm";
import { kms } from "../adapters/clients/kms";
import { secretsStore } from "../adapters/clients/secrets";
import { sfn } from "../adapters/clients/sfn";
import { hsm } from "../adapters/hsm";
import type { ProvisionDeps } from "./shared";

/** The provision-key-store ports, made once per container (STYLE.md §4). */
export const provisionDeps: ProvisionDeps = {
  cloudhsm,
  kms,
  sfn,
  secrets: secretsStore,
  hsm,
  now: () => new Date(),
};
