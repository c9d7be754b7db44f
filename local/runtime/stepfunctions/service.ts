import type { Operation, Service } from "../../account/protocol";
import type { StateMachineConfig } from "../serverless-config";
import { operations } from "./api";
import { Executions, type StepFunctionsDeps } from "./executions";
import { deployMachines } from "./machines";
import { TaskTokens } from "./task-tokens";

/**
 * Step Functions for the state machines of serverless.yml, put together like the account's services: the wire
 * operations (api.ts) over executions (executions.ts, execution-run.ts), task tokens and history. Executions run the
 * committed ASL on aws-local-stepfunctions (see asl-rewrite.ts for what the runtime takes over).
 */
export class StepFunctionsService implements Service {
  readonly target = "AWSStepFunctions";
  readonly name = "states";
  readonly jsonVersion = "1.0" as const;
  readonly internalError = { code: "InternalFailure", status: 500 };
  readonly operations: Record<string, Operation>;
  private readonly executions: Executions;

  constructor(
    private readonly deps: StepFunctionsDeps,
    configs: StateMachineConfig[],
  ) {
    const machines = deployMachines(configs, deps.ctx.clock.now());
    const tokens = new TaskTokens(() => deps.ctx.clock.now(), deps.sim);
    this.executions = new Executions(deps, machines, tokens);
    this.operations = operations({ accountId: deps.accountId, machines, executions: this.executions, tokens });
  }

  tick(): void {
    this.deps.sim.check();
  }

  /**
   * The next time a wait on the simulated clock ends (Wait states, retry intervals, execution timeouts, heartbeats,
   * Lambda's async retries): a clock advance stops there, so the execution goes on at the wait's own end, as a Wait
   * state "delays the state machine from continuing for a specified time"
   * (https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html).
   */
  nextDue(after: number): number | undefined {
    return this.deps.sim.nextDue(after);
  }

  /**
   * Resolves once every execution is closed or has each open task waiting on the simulated clock, a task token or a
   * child, and no Lambda invocation runs (the runtime's one Activity counts them all, EventBridge's deliveries too).
   */
  idle(): Promise<void> {
    return this.deps.activity.idle();
  }

  /** Runs again every execution the store says is RUNNING (after a restart or a crash). */
  resume(): void {
    this.executions.resume();
  }

  /** Shutdown: abandons running executions in memory; they stay RUNNING in the store and resume on next start. */
  stop(): void {
    this.executions.shutdown();
  }

  /** StartExecution for the runtime's own callers (EventBridge targets), with the wire's rules and errors. */
  startExecution(request: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: number;
  } {
    return this.executions.start(request);
  }
}
