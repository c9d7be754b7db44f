import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { config } from "../../config";
import { tracer } from "../../observability";

export const dynamodb = DynamoDBDocumentClient.from(
  tracer.captureAWSv3Client(new DynamoDBClient({ region: config.AWS_REGION })),
  { marshallOptions: { removeUndefinedValues: true } },
);
