import aslValidator from "asl-validator";
import { type PreparedDefinition, prepareDefinition } from "../asl-rewrite";
import { parseResource } from "../sdk-integrations";
import type { StateMachineConfig } from "../serverless-config";

/** A deployed state machine: its serverless.yml config and the ASL as the runtime runs it. */
export type Machine = { config: StateMachineConfig; prepared: PreparedDefinition; creationDate: number };

/** Checks and prepares every state machine once at deploy, so a bad definition fails the deploy, not an execution. */
export function deployMachines(configs: StateMachineConfig[], creationDate: number): Map<string, Machine> {
  const machines = new Map<string, Machine>();
  for (const config of configs) {
    validateDefinition(config);
    machines.set(config.arn, { config, prepared: prepareDefinition(config.definition), creationDate });
  }
  return machines;
}

/** The execution role reported by DescribeStateMachine, ExecutionStarted and `$$.Execution.RoleArn`; nothing assumes it locally. */
export const roleArn = (accountId: string, machine: Machine): string =>
  `arn:aws:iam::${accountId}:role/${machine.config.name}-role`;

function validateDefinition(config: StateMachineConfig): void {
  const { isValid, errorsText } = aslValidator(config.definition, { checkArn: true, checkPaths: true });
  if (!isValid) throw new Error(`State machine ${config.key} is not valid ASL: ${errorsText("; ")}`);
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === "Task" && typeof state.Resource === "string") {
        try {
          parseResource(state.Resource);
        } catch (error: unknown) {
          throw new Error(`State machine ${config.key}, state ${name}: ${(error as Error).message}`);
        }
      }
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | { States?: Record<string, Record<string, unknown>> }
        | undefined;
      if (processor?.States) visit(processor.States);
      for (const branch of (state.Branches ?? []) as { States?: Record<string, Record<string, unknown>> }[]) {
        if (branch.States) visit(branch.States);
      }
    }
  };
  visit((config.definition.States ?? {}) as Record<string, Record<string, unknown>>);
}
