import { config } from "../../config";
import { DynamoProofs } from "../proofs";
import { dynamodb } from "./dynamodb";

/** Proofs of destruction, in the orphan register's table (ORPHAN_TABLE_NAME); read only when a step uses them. */
export const proofs = new DynamoProofs(dynamodb, config.ORPHAN_TABLE_NAME);
