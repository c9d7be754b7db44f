import { dirname, join } from "node:path";
import { config } from "../config";
import { trustAnchorSecretFor } from "../secret-names";
import { clusters } from "./clients/clusters";
import { secretsStore } from "./clients/secrets";
import { CloudHsmCli, cliPathFor, configurePathFor, processRunner } from "./cloudhsm-cli";
import { CLI_WORK_DIR, CliConfigurator } from "./cloudhsm-cli-config";

const cliPath = cliPathFor(config.CLOUDHSM_CLI_PATH);

/**
 * The Hsm port's one adapter, made once per container (STYLE.md §4) for every workflow's steps: the CloudHSM CLI from
 * the Lambda layer in AWS, the local runtime's copy of local/bin's CLI on the local account. Its configuration is built
 * at run time for each cluster from DescribeClusters and the cluster's trust anchor secret (CliConfigurator).
 */
export const hsm = new CloudHsmCli(
  processRunner({ cliPath }),
  new CliConfigurator(
    { clusters, secrets: secretsStore },
    {
      run: processRunner({ cliPath: configurePathFor(cliPath) }),
      region: config.AWS_REGION,
      ...(config.AWS_ENDPOINT_URL ? { endpoint: config.AWS_ENDPOINT_URL } : {}),
      trustAnchorSecret: trustAnchorSecretFor,
      // scripts/build-cloudhsm-cli-layer.sh: /opt/cloudhsm/etc links to /tmp/cloudhsm/etc, etc.dist holds the template.
      template: {
        from: join(dirname(cliPath), "..", "etc.dist", "cloudhsm-cli.cfg"),
        to: join(CLI_WORK_DIR, "etc", "cloudhsm-cli.cfg"),
      },
    },
  ),
);
