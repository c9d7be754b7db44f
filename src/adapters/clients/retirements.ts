import { config } from "../../config";
import { DynamoRetirements } from "../retirements";
import { dynamodb } from "./dynamodb";

/** Retirements, in the orphan register's table (ORPHAN_TABLE_NAME); read only when a step uses it. */
export const retirements = new DynamoRetirements(dynamodb, config.ORPHAN_TABLE_NAME);
