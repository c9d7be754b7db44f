import type { EventEnvelope } from "../../../../local/account/events";
import { prepareDefinition, TASK_TOKEN_PLACEHOLDER, WAIT_RESOURCE } from "../../../../local/runtime/asl-rewrite";
import { transformInput } from "../../../../local/runtime/eventbridge-service";
import { nextFiring, parseSchedule } from "../../../../local/runtime/schedules";
import { bindConfig } from "../../../../local/runtime/serverless-config";
import { waitTarget } from "../../../../local/runtime/stepfunctions/waits";

const where = { rootDir: "/srv/app", region: "eu-west-1", accountId: "123456789012" };
const printed = {
  service: "svc",
  provider: { stage: "prod", timeout: 30, memorySize: 256, environment: { SHARED: "1", OVERRIDDEN: "provider" } },
  functions: {
    check: {
      handler: "functions/check.handler",
      name: "svc-prod-check",
      environment: {
        OVERRIDDEN: "function",
        MACHINE: { Ref: "FlowStepFunctionsStateMachine" },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub template, not a JavaScript one
        SELF: { "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:x" },
      },
      events: [
        { eventBridge: { pattern: { source: ["aws.kms"] }, inputPath: "$.detail" } },
        { schedule: "rate(5 minutes)" },
      ],
    },
  },
  stepFunctions: {
    stateMachines: {
      flow: {
        name: "svc-prod-flow",
        definition: {
          StartAt: "A",
          States: { A: { Type: "Task", Resource: { "Fn::GetAtt": ["check", "Arn"] }, End: true } },
        },
        events: [{ eventBridge: { event: { source: ["aws.cloudhsm"] } } }],
      },
    },
  },
};

describe("binding serverless.yml to the local account", () => {
  it("returns local names, ARNs, merged environments and rules when the printed configuration is bound", () => {
    const config = bindConfig(printed, where);

    expect(config.functions.check).toMatchObject({
      name: "svc-prod-check",
      arn: "arn:aws:lambda:eu-west-1:123456789012:function:svc-prod-check",
      modulePath: "/srv/app/functions/check",
      exportName: "handler",
      timeoutSeconds: 30,
      environment: {
        SHARED: "1",
        OVERRIDDEN: "function",
        MACHINE: "arn:aws:states:eu-west-1:123456789012:stateMachine:svc-prod-flow",
        SELF: "arn:aws:lambda:eu-west-1:123456789012:function:x",
      },
    });
    expect(config.stateMachines.flow?.definition).toMatchObject({
      States: { A: { Resource: "arn:aws:lambda:eu-west-1:123456789012:function:svc-prod-check" } },
    });
    expect(config.rules.map((r) => [r.name, r.target.kind, r.scheduleExpression ?? r.eventPattern])).toEqual([
      ["svc-prod-check-rule-1", "function", { source: ["aws.kms"] }],
      ["svc-prod-check-schedule-2", "function", "rate(5 minutes)"],
      ["svc-prod-flow-rule-1", "stateMachine", { source: ["aws.cloudhsm"] }],
    ]);
  });

  it("returns an error naming the field when a definition references something the runtime cannot resolve", () => {
    const broken = structuredClone(printed);
    (broken.stepFunctions.stateMachines.flow.definition.States.A as Record<string, unknown>).Resource = {
      "Fn::GetAtt": ["missing", "Arn"],
    };

    expect(() => bindConfig(broken, where)).toThrow(
      /stepFunctions.stateMachines.flow.definition.States.A.Resource: cannot resolve Fn::GetAtt/,
    );
  });

  it("returns a rule declared as a resource with its state, target and pattern, and refuses what it cannot serve", () => {
    const rule = (properties: Record<string, unknown>) => ({
      ...printed,
      resources: {
        Resources: {
          UsesRule: {
            Type: "AWS::Events::Rule",
            Properties: {
              Name: "svc-prod-uses",
              State: "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
              EventPattern: { source: ["aws.kms"] },
              Targets: [{ Id: "check", Arn: { "Fn::GetAtt": ["CheckLambdaFunction", "Arn"] } }],
              ...properties,
            },
          },
        },
      },
    });

    const config = bindConfig(rule({}), where);

    expect(config.rules.find((r) => r.name === "svc-prod-uses")).toEqual({
      name: "svc-prod-uses",
      arn: "arn:aws:events:eu-west-1:123456789012:rule/svc-prod-uses",
      eventPattern: { source: ["aws.kms"] },
      enabled: true,
      allManagementEvents: true,
      target: { kind: "function", key: "check", arn: "arn:aws:lambda:eu-west-1:123456789012:function:svc-prod-check" },
    });
    expect(
      bindConfig(rule({ State: "ENABLED" }), where).rules.find((r) => r.name === "svc-prod-uses"),
    ).not.toHaveProperty("allManagementEvents");
    expect(() => bindConfig(rule({ ScheduleExpression: "rate(1 hour)" }), where)).toThrow(/a schedule belongs/);
    expect(() =>
      bindConfig(
        rule({ Targets: [{ Id: "x", Arn: { "Fn::GetAtt": ["CheckLambdaFunction", "Arn"] }, InputPath: "$.detail" }] }),
        where,
      ),
    ).toThrow(/Targets\[0\]: the target gets the whole event/);
    expect(() =>
      bindConfig(rule({ Targets: [{ Id: "x", Arn: "arn:aws:sqs:eu-west-1:123456789012:q" }] }), where),
    ).toThrow(/is no local function or state machine/);
  });

  it("returns an error when a rule is on an event bus other than the default one", () => {
    const custom = structuredClone(printed);
    (custom.functions.check.events[0] as { eventBridge: Record<string, unknown> }).eventBridge.eventBus = "orders";

    expect(() => bindConfig(custom, where)).toThrow(/only the default event bus/);
  });
});

describe("preparing ASL for aws-local-stepfunctions", () => {
  const definition = {
    StartAt: "Pause",
    TimeoutSeconds: 600,
    States: {
      Pause: { Type: "Wait", TimestampPath: "$.at", InputPath: "$.job", Next: "Loop" },
      Loop: {
        Type: "Map",
        ItemProcessor: {
          StartAt: "Inner",
          States: { Inner: { Type: "Wait", Seconds: 5, End: true } },
        },
        Next: "Ask",
      },
      Ask: {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
        Parameters: { FunctionName: "f", Payload: { "token.$": "$$.Task.Token" } },
        TimeoutSeconds: 3600,
        HeartbeatSeconds: 60,
        End: true,
      },
    },
  };

  it("returns Tasks on the local wait resource for every Wait, keeping their names and paths", () => {
    const prepared = prepareDefinition(definition);
    const states = prepared.definition.States as Record<string, Record<string, unknown>>;

    expect(states.Pause).toMatchObject({ Type: "Task", Resource: WAIT_RESOURCE, InputPath: "$.job", Next: "Loop" });
    expect(prepared.types.get("Pause")).toBe("Wait");
    expect(prepared.types.get("Inner")).toBe("Wait");
    expect(prepared.tasks.get("Inner")?.wait).toMatchObject({ Seconds: 5 });
    expect(prepared.timeoutSeconds).toBe(600);
    expect(prepared.definition.TimeoutSeconds).toBeUndefined();
  });

  it("returns the task token placeholder and the timeouts moved to the runtime for a callback Task", () => {
    const prepared = prepareDefinition(definition);
    const ask = (prepared.definition.States as Record<string, Record<string, unknown>>).Ask;

    expect(ask?.Parameters).toEqual({
      payload: { FunctionName: "f", Payload: { token: TASK_TOKEN_PLACEHOLDER } },
      "ctx.$": "$$",
    });
    expect(prepared.tasks.get("Ask")).toMatchObject({ timeoutSeconds: 3600, heartbeatSeconds: 60 });
    expect(ask?.HeartbeatSeconds).toBeUndefined();
  });

  it("returns the wait's end on the simulated clock from Seconds, SecondsPath and TimestampPath", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    const meta = (wait: Record<string, unknown>) => ({
      name: "W",
      kind: "wait" as const,
      resource: WAIT_RESOURCE,
      retry: [],
      wait,
    });

    expect(waitTarget(meta({ Seconds: 30 }), {}, now)).toBe(now + 30_000);
    expect(waitTarget(meta({ SecondsPath: "$.s" }), { s: 2 }, now)).toBe(now + 2000);
    expect(waitTarget(meta({ TimestampPath: "$.at" }), { at: "2026-02-01T00:00:00Z" }, now)).toBe(
      Date.parse("2026-02-01T00:00:00Z"),
    );
    expect(() => waitTarget(meta({ TimestampPath: "$.at" }), {}, now)).toThrow(/does not point to a value/);
  });
});

describe("schedules and target input", () => {
  it("returns the next firing of rate and cron expressions after a given time", () => {
    const anchor = Date.parse("2026-01-01T00:00:00Z");

    expect(nextFiring(parseSchedule("rate(5 minutes)"), anchor + 60_000, anchor)).toBe(anchor + 300_000);
    expect(nextFiring(parseSchedule("cron(30 2 ? * MON *)"), anchor, anchor)).toBe(Date.parse("2026-01-05T02:30:00Z"));
    expect(nextFiring(parseSchedule("cron(0 12 1 * ? *)"), anchor, anchor)).toBe(Date.parse("2026-01-01T12:00:00Z"));
  });

  it("returns a clear error when a schedule expression is malformed or uses L, W or #", () => {
    expect(() => parseSchedule("rate(1 minutes)")).toThrow(/rate\(1 minute\)/);
    expect(() => parseSchedule("cron(0 12 L * ? *)")).toThrow(/not supported locally/);
    expect(() => parseSchedule("every day")).toThrow(/expected rate/);
  });

  it("returns the event, its InputPath, a constant Input or an InputTransformer's output as the target input", () => {
    const event: EventEnvelope = {
      version: "0",
      id: "e1",
      "detail-type": "X",
      source: "s",
      account: "1",
      time: "t",
      region: "r",
      resources: [],
      detail: { a: { b: "c" } },
    };
    const rule = { name: "r", arn: "arn" };

    expect(transformInput(rule, event)).toBe(event);
    expect(transformInput({ ...rule, inputPath: "$.detail.a" }, event)).toEqual({ b: "c" });
    expect(transformInput({ ...rule, input: { fixed: true } }, event)).toEqual({ fixed: true });
    expect(
      transformInput(
        {
          ...rule,
          inputTransformer: {
            inputPathsMap: { b: "$.detail.a.b" },
            inputTemplate: '{"value":"<b>","rule":"<aws.events.rule-name>"}',
          },
        },
        event,
      ),
    ).toEqual({ value: "c", rule: "r" });
  });
});
