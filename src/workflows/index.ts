import * as z from "zod/mini";
import { connectKeyStoreWorkflow } from "./connect-key-store";
import { deletionFollowUpWorkflow } from "./deletion-follow-up";
import { describeKeyStoreWorkflow } from "./describe-key-store";
import { orphanCleanupWorkflow } from "./orphan-cleanup";
import { provisionKeyStoreWorkflow } from "./provision-key-store";
import { retireKeyWorkflow } from "./retire-key";
import type { WorkflowEntry } from "./workflow";

export type { CliExtras, WorkflowEntry } from "./workflow";

/** The registry keyed by name, in registration order, each entry keeping its own schema type. */
function register<const E extends readonly WorkflowEntry[]>(...entries: E): { [W in E[number] as W["name"]]: W } {
  return Object.fromEntries(entries.map((entry) => [entry.name, entry])) as { [W in E[number] as W["name"]]: W };
}

/**
 * Every workflow of the product, one entry each (src/workflows/<name>/index.ts). Everything that lists workflows
 * reads this: the CLI's help and `start`, the package checks, the fuzz suite, the demo and the reliability suite.
 * Adding a workflow: CONTRIBUTING.md.
 */
export const WORKFLOWS = register(
  describeKeyStoreWorkflow,
  connectKeyStoreWorkflow,
  deletionFollowUpWorkflow,
  orphanCleanupWorkflow,
  provisionKeyStoreWorkflow,
  retireKeyWorkflow,
);

export type WorkflowName = keyof typeof WORKFLOWS;

/** The entries in registration order, for code that walks them all. */
export const registeredWorkflows = (): WorkflowEntry[] => Object.values(WORKFLOWS);

export const WorkflowNameSchema = z.enum(Object.keys(WORKFLOWS) as [WorkflowName, ...WorkflowName[]]);
