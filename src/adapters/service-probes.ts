import { DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { DescribeEventBusCommand } from "@aws-sdk/client-eventbridge";
import { DescribeCustomKeyStoresCommand } from "@aws-sdk/client-kms";
import { DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import { DescribeStateMachineCommand } from "@aws-sdk/client-sfn";
import type { CallOutcome, ServiceProbes } from "../ports/service-probes";
import type { CloudHsmPort, DynamoDbPort, EventsPort, KmsPort, SecretsManagerPort, SfnPort } from "./clients/types";

type Sender = { send(command: never, options?: { abortSignal?: AbortSignal }): Promise<unknown> };

/**
 * Classifies an SDK error. An error without an HTTP status never reached the service (DNS, refused or timed-out
 * connection, our abort); a denial is AccessDeniedException (CloudHsmAccessDeniedException in CloudHSM: CloudHSM API
 * Reference, "Errors" of each action) or any *NotAuthorized* code.
 */
export function classifyCallError(error: unknown): "unreachable" | "denied" | "answered" {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (/AccessDenied|NotAuthorized|UnauthorizedOperation/i.test(e.name ?? "")) return "denied";
  if (e.$metadata?.httpStatusCode === undefined) return "unreachable";
  return "answered";
}

async function call(client: Sender, command: unknown, signal: AbortSignal): Promise<CallOutcome> {
  try {
    await client.send(command as never, { abortSignal: signal });
    return { outcome: "ok" };
  } catch (error: unknown) {
    const e = error as { name?: string; message?: string };
    return { outcome: classifyCallError(error), name: e.name ?? "Error", message: e.message ?? "" };
  }
}

/** The reads through the product's own clients: their connection and request timeouts (clients/http.ts) apply. */
export class SdkServiceProbes implements ServiceProbes {
  constructor(
    private readonly clients: {
      secretsManager: SecretsManagerPort;
      kms: KmsPort;
      cloudhsm: CloudHsmPort;
      eventbridge: EventsPort;
      sfn: SfnPort;
      dynamodb: DynamoDbPort;
    },
  ) {}

  describeSecret(secretId: string, signal: AbortSignal) {
    return call(this.clients.secretsManager as Sender, new DescribeSecretCommand({ SecretId: secretId }), signal);
  }

  describeCustomKeyStores(signal: AbortSignal) {
    return call(this.clients.kms as Sender, new DescribeCustomKeyStoresCommand({ Limit: 1 }), signal);
  }

  describeClusters(signal: AbortSignal) {
    return call(this.clients.cloudhsm as Sender, new DescribeClustersCommand({ MaxResults: 1 }), signal);
  }

  describeEventBus(name: string, signal: AbortSignal) {
    return call(this.clients.eventbridge as Sender, new DescribeEventBusCommand({ Name: name }), signal);
  }

  describeStateMachine(stateMachineArn: string, signal: AbortSignal) {
    return call(this.clients.sfn as Sender, new DescribeStateMachineCommand({ stateMachineArn }), signal);
  }

  describeTable(tableName: string, signal: AbortSignal) {
    return call(this.clients.dynamodb as Sender, new DescribeTableCommand({ TableName: tableName }), signal);
  }
}
