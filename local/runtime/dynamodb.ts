import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";

/**
 * DynamoDB for the local runtime: dynalite (a DynamoDB-compatible server from npm, LevelDB on disk) persisting to
 * `<data dir>/dynamodb`, so the register survives restarts like the rest of the account. It listens on its own
 * loopback port: the account's front dispatches AWS targets synchronously, and dynalite answers asynchronously, so
 * functions reach it through `AWS_ENDPOINT_URL_DYNAMODB` (read by the SDK itself). The tables are the
 * `AWS::DynamoDB::Table` resources of serverless.yml as `osls print` resolved them: no second definition.
 */
export class LocalDynamoDb {
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(options: { dataDir: string; host: string; region: string }): Promise<LocalDynamoDb> {
    const path = join(options.dataDir, "dynamodb");
    mkdirSync(path, { recursive: true });
    const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const port = await new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, options.host, () => {
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : 0);
      });
    });
    return new LocalDynamoDb(server, `http://${options.host}:${port}`);
  }

  /** Creates every table of serverless.yml's `resources` that does not exist yet. */
  async createTables(resources: Record<string, unknown>, region: string): Promise<string[]> {
    const client = new DynamoDBClient({
      endpoint: this.endpoint,
      region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const created: string[] = [];
    try {
      for (const [logicalId, raw] of Object.entries(resources)) {
        const resource = raw as { Type?: string; Properties?: Record<string, unknown> };
        if (resource.Type !== "AWS::DynamoDB::Table") continue;
        const p = resource.Properties ?? {};
        if (typeof p.TableName !== "string") throw new Error(`resources.${logicalId}.Properties.TableName must be set`);
        const input = {
          TableName: p.TableName,
          KeySchema: p.KeySchema,
          AttributeDefinitions: p.AttributeDefinitions,
          BillingMode: p.BillingMode ?? "PAY_PER_REQUEST",
          ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
        } as CreateTableCommandInput;
        try {
          await client.send(new CreateTableCommand(input));
          created.push(p.TableName);
        } catch (error: unknown) {
          if (!(error instanceof Error && error.name === "ResourceInUseException")) throw error;
        }
        for (let i = 0; i < 100; i++) {
          const out = await client.send(new DescribeTableCommand({ TableName: p.TableName }));
          if (out.Table?.TableStatus === "ACTIVE") break;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    } finally {
      client.destroy();
    }
    return created;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
