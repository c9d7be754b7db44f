import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type EventPattern, validateEventPattern } from "./event-patterns";

/**
 * The wiring of serverless.yml, resolved the way the framework resolves it (`osls print`: variables, params,
 * `${file()}` includes) and then bound to the local account: function names and ARNs, each function's environment,
 * EventBridge rules and schedules with their targets, and state machine definitions whose CloudFormation references
 * (`Fn::GetAtt: [fnKey, Arn]`, `Ref`, `Fn::Sub`...) point at local ARNs. There is no second list of anything.
 */
export type FunctionConfig = {
  key: string;
  name: string;
  arn: string;
  /** `functions/describe-key-store.handler` as written in serverless.yml. */
  handler: string;
  /** Absolute path of the module without extension, and its export. */
  modulePath: string;
  exportName: string;
  timeoutSeconds: number;
  memorySize: number;
  runtime: string;
  environment: Record<string, string>;
  /** Retries of asynchronous invocations (EventBridge targets), as Lambda's `maximumRetryAttempts` (default 2). */
  maximumRetryAttempts: number;
};

export type StateMachineConfig = {
  key: string;
  name: string;
  arn: string;
  type: "STANDARD" | "EXPRESS";
  /** The ASL with every CloudFormation reference resolved to a local ARN. */
  definition: Record<string, unknown>;
};

export type RuleTarget =
  | { kind: "function"; key: string; arn: string }
  | { kind: "stateMachine"; key: string; arn: string };

export type InputTransformer = { inputPathsMap?: Record<string, string>; inputTemplate: string };

export type RuleConfig = {
  name: string;
  arn: string;
  eventPattern?: EventPattern;
  /** `rate(5 minutes)` or `cron(0 12 * * ? *)`. */
  scheduleExpression?: string;
  enabled: boolean;
  /**
   * The state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: the rule also receives read-only management events
   * (`readOnly: true`, such as Decrypt), which an ENABLED rule does not (eb-service-event-cloudtrail-management).
   */
  allManagementEvents?: true;
  target: RuleTarget;
  input?: unknown;
  inputPath?: string;
  inputTransformer?: InputTransformer;
};

export type RuntimeConfig = {
  service: string;
  stage: string;
  region: string;
  accountId: string;
  /** The directory serverless.yml lives in; handler paths are relative to it. */
  rootDir: string;
  functions: Record<string, FunctionConfig>;
  stateMachines: Record<string, StateMachineConfig>;
  rules: RuleConfig[];
  /** serverless.yml's `resources.Resources`, resolved (the orphan register's tables are created from them). */
  resources: Record<string, unknown>;
};

export type LoadOptions = {
  rootDir: string;
  /**
   * Where resolved configurations are cached, keyed by the files' hash: by default node_modules/.cache under rootDir,
   * shared by every start (an `osls print` takes seconds, longer than a start on a busy machine).
   */
  cacheDir?: string;
  stage?: string;
  /** Params given as `osls --param="key=value"`: they override serverless.yml's params for the stage. */
  params?: Record<string, string>;
  region: string;
  accountId: string;
};

const run = promisify(execFile);

/**
 * Runs `osls print --format json` (offline: no credentials, telemetry off) unless the cache under `cacheDir` already
 * holds the result for the same serverless.yml, statemachines/, deploy/, stage, Region and params; then binds it
 * locally.
 */
export async function loadServerlessConfig(options: LoadOptions): Promise<RuntimeConfig> {
  const stage = options.stage ?? "dev";
  const rootDir = resolve(options.rootDir);
  const params = options.params ?? {};
  const key = configHash(rootDir, stage, options.region, params);
  const cacheDir = options.cacheDir ?? join(rootDir, "node_modules", ".cache", "keystore-autopilot");
  const cacheFile = join(cacheDir, `serverless-print.${key}.json`);
  let printed: unknown;
  if (existsSync(cacheFile)) {
    printed = JSON.parse(readFileSync(cacheFile, "utf8"));
  } else {
    printed = await oslsPrint(rootDir, stage, options.region, params);
    mkdirSync(cacheDir, { recursive: true });
    // Written whole, then renamed: starts running side by side never read half a file.
    const partial = `${cacheFile}.${process.pid}`;
    writeFileSync(partial, JSON.stringify(printed));
    renameSync(partial, cacheFile);
  }
  return bindConfig(printed, { rootDir, region: options.region, accountId: options.accountId, stage });
}

/** LOCAL_RUNTIME_PARAMS: `name=value` pairs separated by ";" (a value may hold commas, as backupCopyRegions does). */
export function paramsFromText(text: string | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of (text ?? "").split(";")) {
    if (pair.trim() === "") continue;
    const at = pair.indexOf("=");
    const name = pair.slice(0, at).trim();
    if (at <= 0 || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
      throw new Error(`Invalid LOCAL_RUNTIME_PARAMS entry "${pair}": use name=value pairs separated by ";"`);
    }
    params[name] = pair.slice(at + 1).trim();
  }
  return params;
}

function configHash(rootDir: string, stage: string, region: string, params: Record<string, string>): string {
  const hash = createHash("sha256").update(`${stage}\n${region}\n${JSON.stringify(Object.entries(params).sort())}\n`);
  hash.update(readFileSync(join(rootDir, "serverless.yml")));
  // What serverless.yml loads with ${file(...)}: the state machines and deploy/'s resolvers.
  for (const dir of [join(rootDir, "statemachines"), join(rootDir, "deploy")]) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      if (/\.ya?ml$|\.json$|\.c?js$/.test(file)) hash.update(file).update(readFileSync(join(dir, file)));
    }
  }
  return hash.digest("hex").slice(0, 16);
}

async function oslsPrint(
  rootDir: string,
  stage: string,
  region: string,
  params: Record<string, string>,
): Promise<unknown> {
  const env: NodeJS.ProcessEnv = { ...process.env, SLS_TELEMETRY_DISABLED: "1", SLS_NOTIFICATIONS_MODE: "off" };
  for (const name of ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])
    delete env[name];
  try {
    const { stdout } = await run(
      "npx",
      [
        "--no-install",
        "osls",
        "print",
        "--format",
        "json",
        "--stage",
        stage,
        "--region",
        region,
        ...Object.entries(params).map(([name, value]) => `--param=${name}=${value}`),
      ],
      { cwd: rootDir, env, maxBuffer: 64 * 1024 * 1024 },
    );
    return JSON.parse(stdout.slice(stdout.indexOf("{")));
  } catch (error: unknown) {
    const detail = error instanceof Error ? ((error as { stderr?: string }).stderr ?? error.message) : String(error);
    throw new Error(`osls print failed in ${rootDir}: ${detail.trim()}`);
  }
}

type Raw = Record<string, unknown>;

const asRecord = (v: unknown): Raw => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Raw) : {});
const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** CloudFormation logical ids as the framework and serverless-step-functions name them. */
const normalizeName = (s: string) => upperFirst(s.replace(/-/g, "Dash").replace(/_/g, "Underscore"));
export const functionLogicalId = (key: string) => `${normalizeName(key)}LambdaFunction`;
export const stateMachineLogicalId = (key: string) => `${normalizeName(key)}StepFunctionsStateMachine`;

/**
 * Binds a printed (resolved) serverless configuration to a local account. Exported so that tests can run
 * test-only definitions through exactly the same path as serverless.yml.
 */
export function bindConfig(
  printed: unknown,
  where: { rootDir: string; region: string; accountId: string; stage?: string },
): RuntimeConfig {
  const root = asRecord(printed);
  const provider = asRecord(root.provider);
  const service = String(root.service ?? "service");
  const stage = String(provider.stage ?? where.stage ?? "dev");
  const { region, accountId } = where;
  const rootDir = resolve(where.rootDir);

  const rawFunctions = asRecord(root.functions);
  const rawMachines = asRecord(asRecord(root.stepFunctions).stateMachines);
  const functionArn = (name: string) => `arn:aws:lambda:${region}:${accountId}:function:${name}`;
  const fnNames = new Map(
    Object.entries(rawFunctions).map(([key, fn]) => [key, String(asRecord(fn).name ?? `${service}-${stage}-${key}`)]),
  );
  const smNames = new Map(
    Object.entries(rawMachines).map(([key, sm]) => [key, String(asRecord(sm).name ?? `${service}-${stage}-${key}`)]),
  );
  const smArn = (name: string) => `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;

  // CloudFormation references the local runtime can answer: functions and state machines by key or logical id.
  const refs = new Map<string, { arn: string; name: string }>();
  for (const [key, name] of fnNames) {
    refs.set(key, { arn: functionArn(name), name });
    refs.set(functionLogicalId(key), { arn: functionArn(name), name });
  }
  for (const [key, name] of smNames) {
    const logicalId = String(asRecord(rawMachines[key]).id ?? stateMachineLogicalId(key));
    refs.set(logicalId, { arn: smArn(name), name });
  }
  // Each function's role (serverless-iam-roles-per-function's logical id): locally a name only, since the local
  // account checks no credentials; functions get their peers' role ARNs to build secret resource policies.
  for (const [key, name] of fnNames) {
    const roleName = `${name}-role`;
    refs.set(`${normalizeName(key)}IamRoleLambdaExecution`, {
      arn: `arn:aws:iam::${accountId}:role/${roleName}`,
      name: roleName,
    });
  }
  // KMS keys of resources (the secrets key): a stable key ARN per stack and logical id. The local Secrets Manager
  // seals values with its own vault key, so the ARN is recorded (CreateSecret KmsKeyId) and never used to encrypt.
  for (const [logicalId, raw] of Object.entries(asRecord(asRecord(root.resources).Resources))) {
    if (asRecord(raw).Type !== "AWS::KMS::Key") continue;
    const id = createHash("sha256").update(`${service}-${stage}/${logicalId}`).digest("hex");
    const keyId = `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-8${id.slice(17, 20)}-${id.slice(20, 32)}`;
    refs.set(logicalId, { arn: `arn:aws:kms:${region}:${accountId}:key/${keyId}`, name: keyId });
  }
  const cfn = (value: unknown, where: string) => resolveIntrinsics(value, { refs, region, accountId }, where);

  const providerEnv = asRecord(provider.environment);
  const functions: Record<string, FunctionConfig> = {};
  for (const [key, rawFn] of Object.entries(rawFunctions)) {
    const fn = asRecord(rawFn);
    const handler = String(fn.handler ?? "");
    const dot = handler.lastIndexOf(".");
    if (dot <= 0) throw new Error(`functions.${key}.handler must look like path/to/file.export, got '${handler}'`);
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...providerEnv, ...asRecord(fn.environment) })) {
      const resolved = cfn(value, `functions.${key}.environment.${name}`);
      environment[name] = typeof resolved === "string" ? resolved : JSON.stringify(resolved);
    }
    const name = fnNames.get(key) as string;
    functions[key] = {
      key,
      name,
      arn: functionArn(name),
      handler,
      modulePath: join(rootDir, handler.slice(0, dot)),
      exportName: handler.slice(dot + 1),
      timeoutSeconds: Number(fn.timeout ?? provider.timeout ?? 6),
      memorySize: Number(fn.memorySize ?? provider.memorySize ?? 1024),
      runtime: String(fn.runtime ?? provider.runtime ?? "nodejs22.x"),
      environment,
      maximumRetryAttempts: Number(fn.maximumRetryAttempts ?? 2),
    };
  }

  const stateMachines: Record<string, StateMachineConfig> = {};
  for (const [key, rawSm] of Object.entries(rawMachines)) {
    const sm = asRecord(rawSm);
    const name = smNames.get(key) as string;
    const definition = cfn(sm.definition, `stepFunctions.stateMachines.${key}.definition`);
    if (definition === null || typeof definition !== "object" || Array.isArray(definition)) {
      throw new Error(`stepFunctions.stateMachines.${key}.definition must be an ASL object`);
    }
    stateMachines[key] = {
      key,
      name,
      arn: smArn(name),
      type: sm.type === "EXPRESS" ? "EXPRESS" : "STANDARD",
      definition: definition as Record<string, unknown>,
    };
  }

  const rules: RuleConfig[] = [];
  const ruleArn = (name: string) => `arn:aws:events:${region}:${accountId}:rule/${name}`;
  const addRules = (events: unknown, target: RuleTarget, owner: string, prefix: string) => {
    const list = Array.isArray(events) ? events : [];
    list.forEach((event, index) => {
      const e = asRecord(event);
      const at = `${owner}.events[${index}]`;
      if ("eventBridge" in e) {
        const eb = asRecord(e.eventBridge);
        const bus = eb.eventBus ?? eb.eventBusName;
        if (bus !== undefined && bus !== "default" && !String(bus).endsWith(":event-bus/default")) {
          throw new Error(`${at}: the local account has only the default event bus, not '${String(bus)}'`);
        }
        const pattern = eb.pattern ?? eb.event;
        const schedule = eb.schedule;
        if (pattern !== undefined) validateEventPattern(pattern);
        const name = String(eb.name ?? `${prefix}-rule-${index + 1}`);
        rules.push({
          name,
          arn: ruleArn(name),
          ...(pattern !== undefined ? { eventPattern: pattern as EventPattern } : {}),
          ...(typeof schedule === "string" ? { scheduleExpression: schedule } : {}),
          enabled: eb.enabled !== false,
          target,
          ...inputOptions(eb),
        });
      } else if ("schedule" in e) {
        const raw = e.schedule;
        const sched = typeof raw === "string" ? { rate: raw } : asRecord(raw);
        const rates = Array.isArray(sched.rate) ? sched.rate.map(String) : [String(sched.rate ?? "")];
        rates.forEach((rate, i) => {
          const name = String(sched.name ?? `${prefix}-schedule-${index + 1}${rates.length > 1 ? `-${i + 1}` : ""}`);
          rules.push({
            name,
            arn: ruleArn(name),
            scheduleExpression: rate,
            enabled: sched.enabled !== false,
            target,
            ...inputOptions(sched),
          });
        });
      }
    });
  };
  for (const [key, fn] of Object.entries(functions)) {
    addRules(asRecord(rawFunctions[key]).events, { kind: "function", key, arn: fn.arn }, `functions.${key}`, fn.name);
  }
  for (const [key, sm] of Object.entries(stateMachines)) {
    addRules(
      asRecord(rawMachines[key]).events,
      { kind: "stateMachine", key, arn: sm.arn },
      `stepFunctions.stateMachines.${key}`,
      sm.name,
    );
  }

  const resources = asRecord(asRecord(root.resources).Resources);
  // Rules declared as resources: those that need what the framework's eventBridge event cannot say, such as the State
  // ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (EventBridge User Guide, eb-service-event-cloudtrail-management).
  const targets = [
    ...Object.values(functions).map((f): RuleTarget => ({ kind: "function", key: f.key, arn: f.arn })),
    ...Object.values(stateMachines).map((m): RuleTarget => ({ kind: "stateMachine", key: m.key, arn: m.arn })),
  ];
  for (const [logicalId, raw] of Object.entries(resources)) {
    const resource = asRecord(raw);
    if (resource.Type !== "AWS::Events::Rule") continue;
    const at = `resources.Resources.${logicalId}`;
    // Only what routes an event is resolved: retry policies and dead-letter queues are AWS's business.
    const p = asRecord(resource.Properties);
    if (p.EventBusName !== undefined && p.EventBusName !== "default") {
      throw new Error(`${at}: the local account has only the default event bus, not '${String(p.EventBusName)}'`);
    }
    // Resource rules exist for their State: schedules and target inputs stay with the framework's events.
    if (p.ScheduleExpression !== undefined) throw new Error(`${at}: a schedule belongs in an eventBridge event`);
    const state = String(p.State ?? "ENABLED");
    const pattern = typeof p.EventPattern === "string" ? JSON.parse(p.EventPattern) : p.EventPattern;
    validateEventPattern(pattern);
    const name = String(p.Name === undefined ? logicalId : cfn(p.Name, `${at}.Properties.Name`));
    (Array.isArray(p.Targets) ? p.Targets : []).forEach((raw, index) => {
      const t = asRecord(raw);
      const arn = cfn(t.Arn, `${at}.Properties.Targets[${index}].Arn`);
      const target = targets.find((candidate) => candidate.arn === arn);
      if (!target)
        throw new Error(`${at}.Properties.Targets[${index}]: ${String(arn)} is no local function or state machine`);
      if (t.Input !== undefined || t.InputPath !== undefined || t.InputTransformer !== undefined)
        throw new Error(
          `${at}.Properties.Targets[${index}]: the target gets the whole event here; shape its input in an eventBridge event`,
        );
      rules.push({
        name,
        arn: ruleArn(name),
        eventPattern: pattern as EventPattern,
        enabled: state !== "DISABLED",
        ...(state === "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" ? { allManagementEvents: true as const } : {}),
        target,
      });
    });
  }
  return { service, stage, region, accountId, rootDir, functions, stateMachines, rules, resources };
}

function inputOptions(e: Raw): Pick<RuleConfig, "input" | "inputPath" | "inputTransformer"> {
  const transformer = asRecord(e.inputTransformer);
  return {
    ...(e.input !== undefined ? { input: e.input } : {}),
    ...(typeof e.inputPath === "string" ? { inputPath: e.inputPath } : {}),
    ...(typeof transformer.inputTemplate === "string"
      ? {
          inputTransformer: {
            inputTemplate: transformer.inputTemplate,
            ...(transformer.inputPathsMap
              ? { inputPathsMap: transformer.inputPathsMap as Record<string, string> }
              : {}),
          },
        }
      : {}),
  };
}

type IntrinsicScope = { refs: Map<string, { arn: string; name: string }>; region: string; accountId: string };

const PSEUDO: Record<string, (s: IntrinsicScope) => string> = {
  "AWS::Region": (s) => s.region,
  "AWS::AccountId": (s) => s.accountId,
  "AWS::Partition": () => "aws",
  "AWS::URLSuffix": () => "amazonaws.com",
};

/**
 * Resolves the CloudFormation intrinsics serverless.yml uses for wiring (`Fn::GetAtt [x, Arn]`, `Ref`, `Fn::Sub`,
 * `Fn::Join`) against the local functions and state machines; anything else fails fast naming where it is.
 */
export function resolveIntrinsics(value: unknown, scope: IntrinsicScope, where: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveIntrinsics(v, scope, `${where}[${i}]`));
  if (value === null || typeof value !== "object") return value;
  const obj = value as Raw;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [fn] = keys as [string];
    const arg = obj[fn];
    if (fn === "Fn::GetAtt") {
      const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split(".");
      const ref = scope.refs.get(id ?? "");
      if (ref && (attr === "Arn" || attr === "Name")) return attr === "Arn" ? ref.arn : ref.name;
      throw new Error(`${where}: cannot resolve Fn::GetAtt ${JSON.stringify(arg)} locally`);
    }
    if (fn === "Ref") {
      const name = String(arg);
      const pseudo = PSEUDO[name];
      if (pseudo) return pseudo(scope);
      const ref = scope.refs.get(name);
      if (ref) return ref.arn;
      throw new Error(`${where}: cannot resolve Ref ${name} locally`);
    }
    if (fn === "Fn::Sub") {
      const [template, vars] = Array.isArray(arg) ? [String(arg[0]), asRecord(arg[1])] : [String(arg), {}];
      return template.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
        if (name in vars) return String(resolveIntrinsics(vars[name], scope, where));
        const [id, attr] = name.split(".");
        const resolved = attr
          ? resolveIntrinsics({ "Fn::GetAtt": [id, attr] }, scope, where)
          : resolveIntrinsics({ Ref: name }, scope, where);
        return String(resolved);
      });
    }
    if (fn === "Fn::Join") {
      const [sep, parts] = Array.isArray(arg) ? arg : ["", []];
      return (resolveIntrinsics(parts, scope, where) as unknown[]).map(String).join(String(sep));
    }
    if (fn.startsWith("Fn::")) throw new Error(`${where}: ${fn} is not supported by the local runtime`);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolveIntrinsics(v, scope, `${where}.${k}`)]));
}
