/**
 * Whether a DynamoDB write was refused by its ConditionExpression: every register write is conditional, and a refusal
 * is an answer (someone else wrote first), never an error. By name, as the SDK's error class may come from another
 * copy of the package.
 */
export const conditionFailed = (error: unknown): boolean =>
  (error as Error | undefined)?.name === "ConditionalCheckFailedException";
