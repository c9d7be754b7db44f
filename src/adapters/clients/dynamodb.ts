import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { config } from "../../config";
import { traced } from "../../observability";
import { HTTP_TIMEOUTS } from "./http";

export const dynamodb = DynamoDBDocumentClient.from(
  traced(new DynamoDBClient({ region: config.AWS_REGION, requestHandler: HTTP_TIMEOUTS })),
  {
    marshallOptions: { removeUndefinedValues: true },
  },
);
