import { config } from "../../config";
import { DynamoStoreStates } from "../store-states";
import { dynamodb } from "./dynamodb";

/** The last observed state of each key store, in the orphan register's table (ORPHAN_TABLE_NAME). */
export const storeStates = new DynamoStoreStates(dynamodb, config.ORPHAN_TABLE_NAME);
