import type * as z from "zod/mini";
import type { Config } from "../config";

/**
 * What the user CLI does beyond start/follow/status for a workflow. Data only: the CLI (cli/) maps each value to its
 * implementation, so deployed code never imports the CLI.
 */
export type CliExtras = {
  /**
   * How `start` names an execution when no --name is given. `key-store-attempt`: `<keyStoreName>-r<n>`, one name per
   * key store and attempt (cli/provision-name.ts); otherwise `<workflow>-<UTC time>-<random>`.
   */
  executionName?: "key-store-attempt";
  /** CLI commands of this workflow: `sign` and `approve` act on its waiting executions, `retire` starts it. */
  commands?: readonly ("sign" | "approve" | "retire")[];
};

/** One workflow: everything the wiring checks, the fuzz suite, the CLI and the docs need to know about it. */
export type WorkflowEntry<S extends z.ZodMiniType = z.ZodMiniType> = {
  /** The name users start it by: `keystore-autopilot start <name>`. */
  name: string;
  /** Its key under serverless.yml `stepFunctions.stateMachines`. */
  stateMachine: string;
  /** The schema its input must pass before anything starts. */
  input: S;
  /** The settings (src/config.ts) serverless.yml sets on its functions' environment. */
  config: readonly (keyof Config)[];
  /** Its serverless.yml `functions:` keys. */
  handlers: readonly string[];
  cli?: CliExtras;
};

/** Keeps the entry's literal name, state machine key and schema type for the registry. */
export const defineWorkflow = <const N extends string, const M extends string, S extends z.ZodMiniType>(
  entry: WorkflowEntry<S> & { name: N; stateMachine: M },
): WorkflowEntry<S> & { name: N; stateMachine: M } => entry;
