import * as z from "zod/mini";
import { defineWorkflow } from "../workflow";
import { FollowUpInputSchema } from "./events";

/** Follows a scheduled key deletion to its end and registers the key material it leaves in the cluster. */
export const deletionFollowUpWorkflow = defineWorkflow({
  name: "deletion-follow-up",
  stateMachine: "deletionFollowUp",
  input: z.strictObject(FollowUpInputSchema.shape),
  config: [
    "ACCOUNT_ID",
    "BACKUP_COPY_REGIONS",
    "BACKUP_PURGE_STORES",
    "CANCEL_DELETION_ON_USE",
    "FOLLOW_UP_STATE_MACHINE_ARN",
    "ORPHAN_TABLE_NAME",
  ],
  handlers: ["followUpEvents", "followUpUses", "followUpRecord", "followUpCheck", "followUpAlert", "followUpProofs"],
});
