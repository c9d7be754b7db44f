import { tmpdir } from "node:os";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { clusters } from "../src/adapters/clients/clusters";
import { serviceProbes } from "../src/adapters/clients/service-probes";
import { cliPathFor, processRunner } from "../src/adapters/cloudhsm-cli";
import { hsm } from "../src/adapters/hsm";
import { tcpConnect } from "../src/adapters/tcp";
import { config, required } from "../src/config";
import { logger } from "../src/observability";
import { runSelfCheck, type SelfCheckInput, SelfCheckInputSchema } from "../src/preflight/self-check";
import { trustAnchorSecretFor } from "../src/secret-names";
import { parseOrThrow } from "../src/validation";

/** `keystore-autopilot preflight --in-aws`: the stack checks itself from inside the CLI functions' VPC. */
export const selfCheck = async (event: unknown) => {
  const input = parseOrThrow(SelfCheckInputSchema, event ?? {});
  return { checks: await check(input) };
};

const check = (input: SelfCheckInput) =>
  runSelfCheck(
    {
      probes: serviceProbes,
      clusters,
      runProgram: (path, argv) => processRunner({ cliPath: path, timeoutMs: 10_000 })(argv, {}),
      connect: tcpConnect,
      listUsers: (clusterId) => hsm.listUsers(clusterId),
    },
    {
      region: config.AWS_REGION,
      cliPath: cliPathFor(config.CLOUDHSM_CLI_PATH),
      writableRoot: tmpdir(),
      trustAnchorSecret: trustAnchorSecretFor,
      connectStateMachineArn: required("CONNECT_STATE_MACHINE_ARN"),
      orphanTableName: required("ORPHAN_TABLE_NAME"),
      alertBusName: config.ALERT_BUS_NAME,
    },
    input,
  );

export const handler = middy(selfCheck).use(injectLambdaContext(logger));
