import { config } from "../../config";
import { DynamoLoginLedger } from "../login-ledger";
import { dynamodb } from "./dynamodb";

/** Failed kmsuser logins across executions, in the orphan register (ORPHAN_TABLE_NAME). */
export const loginLedger = new DynamoLoginLedger(dynamodb, config.ORPHAN_TABLE_NAME);
