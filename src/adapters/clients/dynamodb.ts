import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { config } from "../../config";
import { traced } from "../../observability";
import { HTTP_TIMEOUTS } from "./http";

/** The low-level client, for table-level calls (DescribeTable); items go through `dynamodb`. */
export const dynamodbTables = traced(new DynamoDBClient({ region: config.AWS_REGION, requestHandler: HTTP_TIMEOUTS }));

export const dynamodb = DynamoDBDocumentClient.from(dynamodbTables, {
  marshallOptions: { removeUndefinedValues: true },
});
