import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import { LambdaHost, LOCAL_CLI_PATH } from "../../../../local/runtime/lambda-host";
import type { FunctionConfig, RuntimeConfig } from "../../../../local/runtime/serverless-config";
import { DEFAULT_CLI_PATH } from "../../../../src/adapters/cloudhsm-cli";

const CKS = "cks-1234567890abcdef0";
const MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-orphanCleanup";

/** A function as serverless.yml wires it for AWS (deploy params at their defaults). */
const fn = (environment: Record<string, string>): FunctionConfig =>
  ({
    key: "cleanupPrepare",
    name: "keystore-autopilot-dev-cleanupPrepare",
    runtime: "nodejs22.x",
    environment,
  }) as FunctionConfig;

describe("local choices live in the local runtime, not in deployed code", () => {
  const host = new LambdaHost({ region: "us-east-1", functions: {} } as unknown as RuntimeConfig, {
    endpoint: "http://127.0.0.1:4599",
    logDir: mkdtempSync(join(tmpdir(), "lambda-host-")),
    store: {} as never,
    clock: {} as never,
  });

  it("returns the shipped CLI and no approval wait in a function's local environment when serverless.yml sets the AWS values", () => {
    const env = host.environmentOf(fn({ CLOUDHSM_CLI_PATH: DEFAULT_CLI_PATH, CLEANUP_APPROVAL: "required" }));

    expect(env).toMatchObject({ CLOUDHSM_CLI_PATH: LOCAL_CLI_PATH, CLEANUP_APPROVAL: "skip" });
  });

  it("returns another CLI path unchanged when one was configured on purpose, and sets nothing a function lacks", () => {
    const env = host.environmentOf(fn({ CLOUDHSM_CLI_PATH: "/nonexistent/cloudhsm-cli" }));

    expect(env.CLOUDHSM_CLI_PATH).toBe("/nonexistent/cloudhsm-cli");
    expect(env).not.toHaveProperty("CLEANUP_APPROVAL");
  });

  it("returns approval required by default from cleanup-prepare when LOCAL_ACCOUNT_ENDPOINT is set in its environment", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_REGION: "us-east-1",
      CONNECT_STATE_MACHINE_ARN: MACHINE.replace("orphanCleanup", "connectKeyStore"),
      CLEANUP_APPROVAL: "required",
      LOCAL_ACCOUNT_ENDPOINT: "http://127.0.0.1:4599",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    });
    try {
      let prepare: ((raw: unknown) => Promise<{ approval: boolean }>) | undefined;
      // A fresh module registry: the handler's config is read with this environment, and its SDK clients are the
      // classes mocked here.
      jest.isolateModules(() => {
        const kmsSdk = require("@aws-sdk/client-kms") as typeof import("@aws-sdk/client-kms");
        const sfnSdk = require("@aws-sdk/client-sfn") as typeof import("@aws-sdk/client-sfn");
        mockClient(kmsSdk.KMSClient)
          .on(kmsSdk.DescribeCustomKeyStoresCommand)
          .resolves({
            CustomKeyStores: [
              { CustomKeyStoreId: CKS, CloudHsmClusterId: "cluster-abcdefghijk", ConnectionState: "CONNECTED" },
            ],
          });
        mockClient(sfnSdk.SFNClient).on(sfnSdk.ListExecutionsCommand).resolves({ executions: [] });
        prepare = require("../../../../functions/cleanup-prepare").cleanupPrepare;
      });

      const out = await prepare?.({
        input: { customKeyStoreId: CKS, dryRun: true },
        executionArn: `${MACHINE.replace(":stateMachine:", ":execution:")}:manual-1`,
        stateMachineArn: MACHINE,
      });

      expect(out?.approval).toBe(true);
    } finally {
      process.env = saved;
    }
  });
});
