import type { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { STSClient } from "@aws-sdk/client-sts";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/*
 * The SDK clients the adapters (and the CLI) call, narrowed to `send`, so unit tests hand in aws-sdk-client-mock
 * clients and handlers the clients this folder creates once per instance. Type imports only: loading this file
 * loads no client.
 */

export type KmsPort = Pick<KMSClient, "send">;
export type CloudHsmPort = Pick<CloudHSMV2Client, "send">;
export type SfnPort = Pick<SFNClient, "send">;
export type EventsPort = Pick<EventBridgeClient, "send">;
export type StsPort = Pick<STSClient, "send">;
export type SecretsManagerPort = Pick<SecretsManagerClient, "send">;
export type LogsPort = Pick<CloudWatchLogsClient, "send">;
export type DynamoDbPort = Pick<DynamoDBClient, "send">;
/** The orphan register through the document client (plain JavaScript values in, out). */
export type DocumentPort = Pick<DynamoDBDocumentClient, "send">;
