import { existsSync, readFileSync } from "node:fs";
import { ListStateMachinesCommand } from "@aws-sdk/client-sfn";
import * as z from "zod/mini";
import type { SfnPort } from "../src/adapters/clients/types";
import { InvalidInputError, parseOrThrow } from "../src/validation";
import { registeredWorkflows, type WorkflowEntry } from "../src/workflows";
import { UsageError, WorkflowNotDeployedError } from "./errors";

/** The serverless.yml service: state machines are named `<service>-<stage>-<key>`. */
export const SERVICE = "keystore-autopilot";

export type Workflow = WorkflowEntry;

/** Every workflow registered in src/workflows/index.ts, in registration order: the CLI has no list of its own. */
export function listWorkflows(): Workflow[] {
  return registeredWorkflows();
}

/** The registered workflow whose executions a CLI command (`sign`, `approve`) acts on. */
export function workflowWithCommand(command: "sign" | "approve" | "retire"): Workflow {
  const workflow = listWorkflows().find((w) => w.cli?.commands?.includes(command));
  if (!workflow) throw new UsageError(`No registered workflow takes '${command}'`);
  return workflow;
}

/** The registered workflow of that name, or a usage error listing the known ones. */
export function findWorkflow(name: string): Workflow {
  const workflow = listWorkflows().find((w) => w.name === name);
  if (!workflow) {
    const known = listWorkflows().map((w) => w.name);
    throw new UsageError(`Unknown workflow '${name}'. Known workflows: ${known.join(", ")}`);
  }
  return workflow;
}

/** The deployed state machine name: `keystore-autopilot-<stage>-<key>`, as serverless.yml names it. */
export function stateMachineName(workflow: Workflow, stage: string): string {
  return `${SERVICE}-${stage}-${workflow.stateMachine}`;
}

/**
 * Reads a JSON argument that is either inline JSON, `-` (stdin) or a file path. Errors name the option and say
 * what was wrong (no such file, not JSON and where).
 */
export function readJsonArgument(
  option: string,
  value: string,
  readStdin: () => string = () => readFileSync(0, "utf8"),
): unknown {
  const trimmed = value.trim();
  const inline = /^[{["]/.test(trimmed) || /^(-?\d|true$|false$|null$)/.test(trimmed);
  let text: string;
  let source: string;
  if (trimmed === "-") {
    text = readStdin();
    source = `${option} from stdin`;
  } else if (inline && !existsSync(value)) {
    text = value;
    source = option;
  } else if (existsSync(value)) {
    text = readFileSync(value, "utf8");
    source = `${option} file ${value}`;
  } else {
    throw new UsageError(`${option}: no such file '${value}' (and it is not inline JSON)`);
  }
  try {
    return JSON.parse(text);
  } catch (error: unknown) {
    throw new UsageError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Validates a workflow's input with its registered schema; the error names the field, and nothing is started. */
export function validateInput(workflow: Workflow, input: unknown): unknown {
  try {
    return parseOrThrow(workflow.input, input);
  } catch (error: unknown) {
    if (error instanceof InvalidInputError) {
      throw new UsageError(`Input for ${workflow.name} is invalid: ${error.message.replace(/^Invalid input: /, "")}`);
    }
    throw error;
  }
}

/** Every state machine's ARN by name (ListStateMachines through all pages: no STS call, no extra dependency). */
export async function listStateMachines(sfn: SfnPort): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListStateMachinesCommand({ maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    for (const sm of page.stateMachines ?? [])
      if (sm.name && sm.stateMachineArn) found.set(sm.name, sm.stateMachineArn);
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

/** The workflow's state machine ARN, found by name. */
export async function findStateMachineArn(sfn: SfnPort, name: string): Promise<string | undefined> {
  return (await listStateMachines(sfn)).get(name);
}

/** The workflow's state machine ARN, or WorkflowNotDeployedError naming where it was looked for. */
export async function requireStateMachineArn(
  sfn: SfnPort,
  workflow: Workflow,
  stage: string,
  where: string,
): Promise<string> {
  const name = stateMachineName(workflow, stage);
  const arn = await findStateMachineArn(sfn, name);
  if (!arn) throw new WorkflowNotDeployedError(workflow.name, name, where);
  return arn;
}

/** The input fields a workflow expects, for help texts: `customKeyStoreId`, or `mode?` when optional. */
export function inputFields(workflow: Workflow): string[] {
  try {
    const schema = z.toJSONSchema(workflow.input, { unrepresentable: "any", io: "input" }) as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    const required = new Set(schema.required ?? []);
    return Object.keys(schema.properties ?? {}).map((field) => (required.has(field) ? field : `${field}?`));
  } catch {
    return [];
  }
}
