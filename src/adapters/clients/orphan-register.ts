import { config } from "../../config";
import { DynamoOrphanRegister } from "../orphan-register";
import { dynamodb } from "./dynamodb";

/** The orphan register's table (ORPHAN_TABLE_NAME); read only when a step uses it. */
export const orphanRegister = new DynamoOrphanRegister(dynamodb, config.ORPHAN_TABLE_NAME);
