import { join } from "node:path";
import { z } from "zod";
import type { LocalAccount } from "../account/account";
import type { EventEnvelope } from "../account/events";
import { Activity } from "./activity";
import { DELIVERY_KIND, type DeliveryMode, type DeliveryRecord, EventBridgeService } from "./eventbridge-service";
import { type InvocationRecord, type InvokeResult, LambdaHost } from "./lambda-host";
import type { RuntimeConfig } from "./serverless-config";
import { SimClock } from "./sim-clock";
import { StepFunctionsService } from "./stepfunctions/service";
import { loadTimeoutErrorClass } from "./task-errors";

export type RuntimeOptions = {
  /** At-least-once test mode (also settable at run time: POST /_local/runtime/delivery). */
  delivery?: Partial<DeliveryMode>;
  /** Lambda instances per function when invocations overlap. */
  maxInstances?: number;
  /** Occurrences one schedule fires inside one clock advance at most (default SCHEDULE_CAP). */
  scheduleCap?: number;
};

const DeliverySchema = z.object({
  duplicates: z.number().int().min(0).max(10).optional(),
  reorder: z.boolean().optional(),
});

const EnvelopeSchema = z.object({
  source: z.string().min(1),
  "detail-type": z.string().min(1),
  detail: z.record(z.string(), z.unknown()),
  resources: z.array(z.string()).default([]),
  time: z.string().optional(),
});

/**
 * Deploys the resolved serverless.yml onto a running local account: Lambda handlers in isolated warm instances,
 * Step Functions and EventBridge as services on the account's port, rules and schedules listening to its bus.
 * `npm start` (local/start.ts) runs the account and this runtime together; tests can do the same in-process.
 */
export class LocalRuntime {
  private constructor(
    readonly account: LocalAccount,
    readonly config: RuntimeConfig,
    readonly lambda: LambdaHost,
    readonly stepFunctions: StepFunctionsService,
    readonly eventBridge: EventBridgeService,
    private readonly sim: SimClock,
  ) {}

  static async deploy(
    account: LocalAccount,
    config: RuntimeConfig,
    options: RuntimeOptions = {},
  ): Promise<LocalRuntime> {
    await loadTimeoutErrorClass();
    const ctx = account.ctx;
    if (config.region !== ctx.config.region || config.accountId !== ctx.config.accountId) {
      throw new Error(
        `The configuration is bound to ${config.accountId}/${config.region}, the account is ${ctx.config.accountId}/${ctx.config.region}`,
      );
    }
    const endpoint = account.endpoint;
    const sim = new SimClock(ctx.clock);
    const activity = new Activity();
    const lambda = new LambdaHost(config, {
      endpoint,
      logDir: join(ctx.config.dataDir, "logs"),
      layerDir: join(ctx.config.dataDir, "layer"),
      store: ctx.store,
      clock: ctx.clock,
      activity,
      ...(options.maxInstances ? { maxInstances: options.maxInstances } : {}),
    });
    let eventBridge: EventBridgeService | undefined;
    const stepFunctions = new StepFunctionsService(
      {
        ctx,
        accountId: config.accountId,
        region: config.region,
        endpoint,
        sim,
        lambda,
        activity,
        putEvents: (entries) => {
          if (!eventBridge) throw new Error("EventBridge is not deployed");
          return eventBridge.putEntries(entries, true);
        },
      },
      Object.values(config.stateMachines),
    );
    eventBridge = new EventBridgeService(
      ctx,
      config,
      { lambda, stepFunctions, sim, activity },
      {
        duplicates: options.delivery?.duplicates ?? 0,
        reorder: options.delivery?.reorder ?? false,
      },
      options.scheduleCap,
    );
    const runtime = new LocalRuntime(account, config, lambda, stepFunctions, eventBridge, sim);
    account.addService(stepFunctions);
    account.addService(eventBridge);
    runtime.registerControl();
    eventBridge.start();
    stepFunctions.resume();
    return runtime;
  }

  /** Stops deliveries, executions (left RUNNING in the store, resumed on next deploy) and Lambda instances. */
  async stop(): Promise<void> {
    this.stepFunctions.stop();
    this.sim.abortAll();
    await this.eventBridge.stop();
    await this.lambda.stop();
  }

  /** Invokes a function of serverless.yml by key, name or ARN, as `serverless invoke local` would, but isolated. */
  async invoke(ref: string, event: unknown): Promise<InvokeResult> {
    const fn = this.lambda.resolve(ref);
    if (!fn) throw new Error(`No function ${ref} in serverless.yml`);
    return this.lambda.invoke(fn, event);
  }

  invocations(functionName?: string): InvocationRecord[] {
    return this.lambda.invocations(functionName);
  }

  /** Puts an AWS-sourced event (a CloudTrail record, a service event) on the bus, as AWS would deliver it. */
  putAwsEvent(envelope: z.input<typeof EnvelopeSchema>): { seq: number; id: string } {
    const parsed = EnvelopeSchema.parse(envelope);
    const { store, bus } = this.account.ctx;
    const seq = store.tx(() => bus.put(parsed));
    bus.flush();
    const stored = bus.after(seq - 1, 1)[0]?.event as EventEnvelope;
    return { seq, id: stored.id };
  }

  private registerControl(): void {
    const { front, store } = this.account.ctx;
    front.route("GET", "/_local/runtime", () => ({
      service: this.config.service,
      stage: this.config.stage,
      functions: Object.values(this.config.functions).map((f) => ({
        key: f.key,
        name: f.name,
        arn: f.arn,
        handler: f.handler,
      })),
      stateMachines: Object.values(this.config.stateMachines).map((s) => ({ key: s.key, name: s.name, arn: s.arn })),
      rules: this.config.rules.map((r) => ({
        name: r.name,
        target: r.target.arn,
        ...(r.eventPattern ? { eventPattern: r.eventPattern } : {}),
        ...(r.scheduleExpression ? { scheduleExpression: r.scheduleExpression } : {}),
      })),
      delivery: this.eventBridge.delivery,
    }));
    front.route("GET", "/_local/invocations", (_body, query) => ({
      invocations: this.invocations(query.get("function") ?? undefined),
    }));
    front.route("GET", "/_local/deliveries", () => ({ deliveries: store.list<DeliveryRecord>(DELIVERY_KIND) }));
    front.route("POST", "/_local/events", (body) => this.putAwsEvent(body as z.input<typeof EnvelopeSchema>));
    front.route("POST", "/_local/runtime/delivery", (body) => {
      const next = DeliverySchema.parse(body);
      this.eventBridge.delivery = { ...this.eventBridge.delivery, ...next };
      return this.eventBridge.delivery;
    });
  }
}
