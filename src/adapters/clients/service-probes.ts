import { SdkServiceProbes } from "../service-probes";
import { cloudhsm } from "./cloudhsm";
import { dynamodbTables } from "./dynamodb";
import { eventbridge } from "./eventbridge";
import { kms } from "./kms";
import { secretsManager } from "./secrets";
import { sfn } from "./sfn";

/** The self-check's reads, through the instance's clients. */
export const serviceProbes = new SdkServiceProbes({
  secretsManager,
  kms,
  cloudhsm,
  eventbridge,
  sfn,
  dynamodb: dynamodbTables,
});
