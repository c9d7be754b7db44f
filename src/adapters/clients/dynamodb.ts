import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { config } from "../../config";
import { traced } from "../../observability";

export const dynamodb = DynamoDBDocumentClient.from(traced(new DynamoDBClient({ region: config.AWS_REGION })), {
  marshallOptions: { removeUndefinedValues: true },
});
