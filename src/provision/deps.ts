import { cloudhsm } from "../adapters/clients/cloudhsm";
import { kms } from "../adapters/clients/kms";
import { secrets } from "../adapters/clients/secrets";
import { sfn } from "../adapters/clients/sfn";
import { CloudHsmCli, cliPathFor, processRunner } from "../adapters/cloudhsm-cli";
import { SecretsManagerStore } from "../adapters/secrets-store";
import { config } from "../config";
import type { ProvisionDeps } from "./shared";

const cliPath = cliPathFor(config.CLOUDHSM_CLI_PATH, config.LOCAL_ACCOUNT_ENDPOINT);

/** The provision-key-store ports, made once per container (STYLE.md §4). */
export const provisionDeps: ProvisionDeps = {
  cloudhsm,
  kms,
  sfn,
  secrets: new SecretsManagerStore(secrets),
  hsm: new CloudHsmCli(
    processRunner({
      cliPath,
      ...(config.LOCAL_ACCOUNT_ENDPOINT ? { localAccountEndpoint: config.LOCAL_ACCOUNT_ENDPOINT } : {}),
    }),
  ),
  now: () => new Date(),
};
