import { createServer, type Server, type Socket } from "node:net";
import { DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { ListRulesCommand } from "@aws-sdk/client-eventbridge";
import { ListKeysCommand } from "@aws-sdk/client-kms";
import { ListStateMachinesCommand } from "@aws-sdk/client-sfn";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { HTTP_TIMEOUTS } from "../../../../../src/adapters/clients/http";

// Every SDK client the functions use gives up on an endpoint that accepts the connection and never answers (a
// blocked VPC endpoint, a black-holed NAT) after its request timeout, instead of waiting for the Lambda timeout.

describe("SDK clients of the functions", () => {
  let server: Server;
  const sockets: Socket[] = [];
  const env = { ...process.env };

  beforeAll(async () => {
    server = createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_MAX_ATTEMPTS: "1",
      SDK_TRACING: "false",
      SECRETS_KMS_KEY_ARN: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      SECRET_PRINCIPALS: JSON.stringify({ admin: ["arn:aws:iam::111122223333:role/reader"] }),
    });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    process.env = env;
  });

  it("returns a TimeoutError naming the configured request timeout when the endpoint never answers", async () => {
    // Prepare: the client modules, loaded after the endpoint is set (they read the configuration once).
    type Sender = { send: (command: never) => Promise<unknown> };
    let calls: Promise<unknown>[] = [];
    jest.isolateModules(() => {
      const { kms } = require("../../../../../src/adapters/clients/kms") as { kms: Sender };
      const { cloudhsm } = require("../../../../../src/adapters/clients/cloudhsm") as { cloudhsm: Sender };
      const { sfn } = require("../../../../../src/adapters/clients/sfn") as { sfn: Sender };
      const { eventbridge } = require("../../../../../src/adapters/clients/eventbridge") as { eventbridge: Sender };
      const { dynamodb } = require("../../../../../src/adapters/clients/dynamodb") as { dynamodb: Sender };
      const { logs } = require("../../../../../src/adapters/clients/audit-log") as { logs: Sender };
      const { secretsStore } = require("../../../../../src/adapters/clients/secrets") as {
        secretsStore: { ensure: (name: string, description: string) => Promise<string> };
      };
      // Act
      calls = [
        kms.send(new ListKeysCommand({}) as never),
        cloudhsm.send(new DescribeClustersCommand({}) as never),
        sfn.send(new ListStateMachinesCommand({}) as never),
        eventbridge.send(new ListRulesCommand({}) as never),
        dynamodb.send(new GetCommand({ TableName: "t", Key: { pk: "k" } }) as never),
        logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/cloudhsm/cluster-abcdefghijk" }) as never),
        secretsStore.ensure("keystore-autopilot/admin/cluster-abcdefghijk", "x"),
      ];
    });
    const outcomes = await Promise.allSettled(calls);

    // Assess
    expect(outcomes).toHaveLength(7);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      const error = (outcome as PromiseRejectedResult).reason as Error;
      expect(error.name).toBe("TimeoutError");
      expect(error.message).toContain(`${HTTP_TIMEOUTS.requestTimeout} ms`);
    }
  }, 30_000);
});
