import { config } from "../config";
import { secrets as secretsClient } from "./clients/secrets";
import { CloudHsmCli, cliPathFor, processRunner } from "./cloudhsm-cli";
import { SecretsManagerStore } from "./secrets-store";

/**
 * The Hsm port's one adapter and the secrets store, made once per container (STYLE.md §4) for every workflow's
 * steps: the CloudHSM CLI from the Lambda layer in AWS, local/bin/cloudhsm-cli on the local account.
 */
export const hsm = new CloudHsmCli(
  processRunner({
    cliPath: cliPathFor(config.CLOUDHSM_CLI_PATH, config.LOCAL_ACCOUNT_ENDPOINT),
    ...(config.LOCAL_ACCOUNT_ENDPOINT ? { localAccountEndpoint: config.LOCAL_ACCOUNT_ENDPOINT } : {}),
  }),
);

export const secretsStore = new SecretsManagerStore(secretsClient);
