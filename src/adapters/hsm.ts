import { config } from "../config";
import { CloudHsmCli, cliPathFor, processRunner } from "./cloudhsm-cli";

/**
 * The Hsm port's one adapter, made once per container (STYLE.md §4) for every workflow's
 * steps: the CloudHSM CLI from the Lambda layer in AWS, local/bin/cloudhsm-cli on the local account.
 */
export const hsm = new CloudHsmCli(
  processRunner({
    cliPath: cliPathFor(config.CLOUDHSM_CLI_PATH),
    ...(config.LOCAL_ACCOUNT_ENDPOINT ? { localAccountEndpoint: config.LOCAL_ACCOUNT_ENDPOINT } : {}),
  }),
);
