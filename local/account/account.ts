import { randomBytes } from "node:crypto";
import { closeSync, constants, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Clock, parseDuration } from "./clock";
import { createCloudHsmService } from "./cloudhsm/service";
import { createCloudTrailService } from "./cloudtrail/service";
import { createCloudWatchService } from "./cloudwatch/service";
import type { LocalAccountConfig } from "./config";
import { registerEc2 } from "./ec2/service";
import { AwsServiceError } from "./errors";
import { EventBus } from "./events";
import { Faults } from "./faults";
import { registerCloudHsmCli } from "./hsm/cli";
import { SoftHsm } from "./hsm/softhsm";
import { createKmsService } from "./kms/service";
import { createLogsService } from "./logs/service";
import type { CallRecord, CallScope, Recorder, Trail } from "./protocol";
import { parseInput, type Service } from "./protocol";
import { Quotas } from "./quotas";
import { createSecretsManagerService } from "./secretsmanager/service";
import { HttpFront, isLoopback } from "./server";
import { Store } from "./store";
import { registerSts } from "./sts/service";

/** Everything a service implementation may use. */
export type AccountContext = {
  config: LocalAccountConfig;
  store: Store;
  clock: Clock;
  faults: Faults;
  bus: EventBus;
  quotas: Quotas;
  hsm: SoftHsm;
  front: HttpFront;
};

const TICK_MS = 200;
/** A bound on the stops of one clock advance (a year of daily backups for a few dozen clusters). */
const MAX_ADVANCE_STEPS = 20_000;
/** How long (real time) an advance waits at one stop for the runtime to become idle before it stops waiting. */
const SETTLE_LIMIT_MS = 60_000;

/** What one clock advance did: where it ended, how many stops it made inside the jump, what its caller must know. */
export type AdvanceReport = { now: number; stops: number; notes: string[] };

/**
 * The local account: KMS, CloudHSM v2 (and later Step Functions, EventBridge, Secrets Manager) on one loopback port,
 * state in `dataDir`, key material in SoftHSM2. Start it in-process or with `npm start`.
 */
export class LocalAccount {
  readonly ctx: AccountContext;
  private readonly services = new Map<string, Service>();
  private timer?: NodeJS.Timeout;
  private port?: number;
  private advancing: Promise<unknown> = Promise.resolve();
  /** How long (real time) an advance waits at one stop for the services to be idle (tests shorten it). */
  settleLimitMs = SETTLE_LIMIT_MS;
  /** The control routes' token, new at every start (see `tokenFile`). */
  readonly controlToken = randomBytes(32).toString("hex");

  constructor(readonly config: LocalAccountConfig) {
    // The data directory holds PINs, passwords and the token: only its owner may enter it (when it is made here).
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const store = new Store(join(config.dataDir, "state.sqlite"));
    const clock = new Clock(store);
    const front = new HttpFront((target, body, region) => this.dispatch(target, body, region), this.controlToken);
    this.ctx = {
      config,
      store,
      clock,
      faults: new Faults(store),
      bus: new EventBus(store, clock, { accountId: config.accountId, region: config.region }),
      quotas: new Quotas(config.quotas === "on"),
      hsm: new SoftHsm(config.dataDir, config.softhsmLibrary),
      front,
    };
  }

  /** Where the token is written at start, 0600, for the project's CLI and tests (the health route names it). */
  get tokenFile(): string {
    return join(this.config.dataDir, "control-token");
  }

  get endpoint(): string {
    if (this.port === undefined) throw new Error("The local account is not started");
    return `http://${this.config.host}:${this.port}`;
  }

  /** Registers a service; later issues add Step Functions, EventBridge and Secrets Manager this way. */
  addService(service: Service): void {
    this.services.set(service.target, service);
  }

  /**
   * Starts the services and listens. With `hold`, requests other than the health route wait until `ready()` (the
   * runtime is deployed on top first); the health route says so meanwhile.
   */
  async start(options: { hold?: boolean } = {}): Promise<string> {
    if (options.hold) this.ctx.front.hold();
    this.ctx.hsm.open();
    this.addService(createKmsService(this.ctx));
    this.addService(createCloudHsmService(this.ctx));
    this.addService(createSecretsManagerService(this.ctx));
    this.addService(createLogsService(this.ctx));
    this.addService(createCloudWatchService(this.ctx));
    // The JavaScript SDK v3 sends `CloudTrail_20131101.<Operation>`; botocore and the AWS CLI send the long prefix.
    const cloudtrail = createCloudTrailService(this.ctx);
    this.addService(cloudtrail);
    this.addService({ ...cloudtrail, target: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101" });
    registerCloudHsmCli(this.ctx);
    registerSts(this.ctx);
    registerEc2(this.ctx);
    this.registerControl();
    for (const service of this.services.values()) this.inTx(() => service.recover?.());
    this.tick();
    writeTokenFile(this.tokenFile, this.controlToken);
    if (!isLoopback(this.config.host)) {
      process.stderr.write(
        `WARNING: the local account listens on ${this.config.host}, not loopback: anyone who can reach it can call its AWS APIs (no signature is checked) and, with the token, its control routes. Unset LOCAL_ACCOUNT_HOST to listen on 127.0.0.1 only.\n`,
      );
    }
    this.port = await this.ctx.front.listen(this.config.port, this.config.host);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    return this.endpoint;
  }

  /** Lets held requests through: everything that serves them is deployed. */
  ready(): void {
    this.ctx.front.open();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ctx.front.close();
    this.ctx.hsm.close();
    this.ctx.store.close();
  }

  /** Settles every transition that is due on the simulated clock; returns the time it settled up to. */
  tick(): number {
    const now = this.ctx.clock.now();
    for (const service of this.services.values()) {
      if (service.tick) this.inTx(() => service.tick?.(now));
    }
    return now;
  }

  /**
   * Moves the simulated clock forward by `ms`, stopping at every time something falls due inside the jump (a key
   * deletion, a backup, its retention and purge, a connect, an HSM or cluster transition, a schedule, a Step Functions
   * wait or retry interval), in order: each is settled at its own time, so records and events carry that time, and
   * what follows from it (a backup after a deletion, the task after a Wait) sees it done. After each stop it awaits
   * the services' `idle()`: what the stop set going has finished or waits on a later simulated time, at most
   * `settleLimitMs` of real time; past that the rest of the advance does not wait and says so. Advances run one at a
   * time.
   */
  advance(ms: number): Promise<AdvanceReport> {
    if (!Number.isFinite(ms) || ms < 0) return Promise.reject(new Error("The clock only moves forward"));
    const run = this.advancing.then(() => this.advanceNow(ms));
    this.advancing = run.catch(() => {});
    return run;
  }

  private async advanceNow(ms: number): Promise<AdvanceReport> {
    const { clock } = this.ctx;
    const target = clock.now() + ms;
    const notes: string[] = [];
    let waiting = true;
    /** Settles what is due at `at`, awaits what that set going; returns the time it settled up to. */
    const stopAt = async (at: number): Promise<number> => {
      clock.advance(Math.max(0, at - clock.now()));
      this.ctx.quotas.refill();
      const settled = this.tick();
      if (waiting && !(await this.settle())) {
        waiting = false;
        notes.push(
          `The runtime was still busy ${this.settleLimitMs / 1000} s (real time) after ${new Date(at).toISOString()}: ` +
            "the rest of this advance did not wait for it",
        );
      }
      return settled;
    };
    for (const service of this.services.values()) service.beginAdvance?.(target);
    let stops = 0;
    try {
      // The simulated clock also runs in real time while a stop is settled: the next stop is looked up from the time
      // that stop settled up to, not from now, or an item falling due in between (two due a few ms apart, a slow tick
      // under load, a wait registered while the runtime was awaited) would wait for whatever stop came next.
      let settled = await stopAt(clock.now());
      for (; stops < MAX_ADVANCE_STEPS; stops++) {
        const next = this.nextDue(settled);
        if (next === undefined || next > target) break;
        settled = await stopAt(next);
      }
      if (stops === MAX_ADVANCE_STEPS) {
        notes.push(
          `Stopped at ${MAX_ADVANCE_STEPS} due times inside this advance; what remained was settled at its end`,
        );
      }
      await stopAt(target);
    } finally {
      for (const service of this.services.values()) notes.push(...(service.endAdvance?.() ?? []));
    }
    return { now: clock.now(), stops, notes };
  }

  /** Resolves true once every service is idle (no polling: each says when), false after `settleLimitMs`. */
  private async settle(): Promise<boolean> {
    const idle: Promise<void>[] = [];
    for (const service of this.services.values()) if (service.idle) idle.push(service.idle());
    if (idle.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.settleLimitMs);
    });
    try {
      return await Promise.race([Promise.all(idle).then(() => true), limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  private nextDue(after: number): number | undefined {
    let next: number | undefined;
    for (const service of this.services.values()) {
      const at = service.nextDue?.(after);
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  private inTx<T>(fn: () => T): T {
    try {
      const result = this.ctx.store.tx(fn);
      this.ctx.bus.flush();
      return result;
    } catch (error: unknown) {
      this.ctx.bus.discard();
      throw error;
    }
  }

  private dispatch(
    target: string,
    body: string,
    region: string | undefined,
  ): { status: number; payload: unknown; jsonVersion: string } {
    // The operation follows the last dot: CloudTrail's prefix has dots of its own.
    const dot = target.lastIndexOf(".");
    const prefix = target.slice(0, Math.max(0, dot));
    const operation = target.slice(dot + 1);
    const service = this.services.get(prefix);
    const jsonVersion = service?.jsonVersion ?? "1.1";
    try {
      let input: unknown;
      try {
        input = body.trim() === "" ? {} : JSON.parse(body);
      } catch {
        throw new AwsServiceError("SerializationException", "Request body is not valid JSON");
      }
      if (input === null || typeof input !== "object" || Array.isArray(input)) {
        throw new AwsServiceError("SerializationException", "Request body must be a JSON object");
      }
      const op = service?.operations[operation];
      if (!service || !op) throw new AwsServiceError("UnknownOperationException", `Unknown operation ${target}`);
      const call = new CallTrail(service, operation, op.trail);
      // Parsed first so that a throttled or refused call is recorded with its parameters too.
      const parsed = op.input.safeParse(input);
      if (parsed.success) call.parsed(parsed.data);
      try {
        this.tick();
        this.admit(service, operation);
        if (op.rate !== undefined) this.ctx.quotas.take(`${service.name}:${operation}`, op.rate);
        const request = parsed.success ? parsed.data : parseInput(op.input, input);
        const payload = this.inTx(() => {
          const run = op.run as (request: unknown, record: Recorder, at: CallScope) => unknown;
          const response = run(request, call.recorder, { region: region ?? this.ctx.config.region });
          call.write(this.ctx.bus);
          return response;
        });
        return { status: 200, payload: payload ?? {}, jsonVersion };
      } catch (error: unknown) {
        // A refused call is recorded too, with its error (KMS Developer Guide, ct-decrypt "Decrypt failure"), in a
        // transaction of its own: the call's own changes were rolled back.
        if (op.trail) this.inTx(() => call.write(this.ctx.bus, failure(error)));
        throw error;
      }
    } catch (error: unknown) {
      const { code, message, status } = failure(error);
      return { status, payload: { __type: code, message }, jsonVersion };
    }
  }

  /** Quotas and injected throttling, internal and access-denied errors; consumed faults stay consumed even though the call fails. */
  private admit(service: Service, operation: string): void {
    const key = `${service.name}:${operation}`;
    const fault = this.inTx(
      () =>
        this.ctx.faults.take("throttle", (f) => f.operation === key) ??
        this.ctx.faults.take("internal-error", (f) => f.operation === key) ??
        this.ctx.faults.take("access-denied", (f) => f.operation === key),
    );
    if (fault?.kind === "throttle") throw new AwsServiceError("ThrottlingException", "Rate exceeded");
    if (fault?.kind === "access-denied") {
      // CloudHSM names its denial CloudHsmAccessDeniedException (CloudHSM API Reference, "Common errors" of each action).
      throw new AwsServiceError(
        service.name === "cloudhsm" ? "CloudHsmAccessDeniedException" : "AccessDeniedException",
        `User: arn:aws:sts::${this.ctx.config.accountId}:assumed-role/local is not authorized to perform: ${key} because no identity-based policy allows the ${key} action (injected)`,
      );
    }
    if (fault?.kind === "internal-error") {
      throw new AwsServiceError(
        service.internalError.code,
        "An internal error occurred (injected)",
        service.internalError.status,
      );
    }
  }

  private registerControl(): void {
    const { front, clock, faults, bus, config } = this.ctx;
    front.route("GET", "/_local/health", () => ({
      ok: true,
      // Whether requests are served yet, and by which services (the runtime adds Step Functions and EventBridge).
      ready: front.ready,
      services: [...new Set([...this.services.values()].map((s) => s.name))],
      endpoint: this.endpoint,
      region: config.region,
      accountId: config.accountId,
      now: new Date(clock.now()).toISOString(),
      // Where the token is, never the token: only the account's owner can read that file.
      tokenFile: this.tokenFile,
    }));
    front.route("GET", "/_local/clock", () => ({ now: new Date(clock.now()).toISOString() }));
    front.route("POST", "/_local/clock/advance", async (body) => {
      const by = (body as { by?: unknown }).by;
      if (typeof by !== "string") throw new Error('Body must be {"by": "<duration>"}, e.g. {"by": "31d"}');
      const { now, stops, notes } = await this.advance(parseDuration(by));
      return { now: new Date(now).toISOString(), stops, ...(notes.length > 0 ? { notes } : {}) };
    });
    front.route("GET", "/_local/faults", () => ({ faults: faults.list() }));
    front.route("POST", "/_local/faults", (body) => faults.arm(body));
    front.route("DELETE", "/_local/faults", () => {
      faults.clear();
      return {};
    });
    front.route("GET", "/_local/events", (_body, query) => ({
      events: bus.after(Number(query.get("after") ?? 0), Number(query.get("limit") ?? 1000)),
    }));
  }
}

/** A fresh file, 0600, never through a link planted in its place: the old one is removed, then made exclusively. */
function writeTokenFile(file: string, token: string): void {
  rmSync(file, { force: true });
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
}

/** How a call failed, as the wire answers it and CloudTrail records it. */
function failure(error: unknown): { code: string; message: string; status: number } {
  if (error instanceof AwsServiceError) return { code: error.code, message: error.message, status: error.status };
  return { code: "InternalFailure", message: error instanceof Error ? error.message : String(error), status: 500 };
}

/**
 * The CloudTrail record of one call to an operation that declares a trail: its request parameters once the request
 * parsed, what `run` added, and the error when it failed. Operations without a trail write nothing.
 */
class CallTrail {
  private record: Partial<CallRecord> = {};
  private requestParameters: Record<string, unknown> | null = null;
  readonly recorder: Recorder = (record) => {
    this.record = { ...this.record, ...record };
  };

  constructor(
    private readonly service: Service,
    private readonly operation: string,
    private readonly trail: Trail | undefined,
  ) {}

  parsed(request: unknown): void {
    if (this.trail)
      this.requestParameters = (this.trail.request as (request: unknown) => Record<string, unknown> | null)(request);
  }

  write(bus: EventBus, error?: { code: string; message: string }): void {
    if (!this.trail || (this.service.name !== "kms" && this.service.name !== "cloudhsm")) return;
    bus.cloudTrail({
      service: this.service.name,
      eventName: this.operation,
      requestParameters: this.record.requestParameters ?? this.requestParameters,
      responseElements: error ? null : (this.record.responseElements ?? null),
      ...(this.record.additionalEventData ? { additionalEventData: this.record.additionalEventData } : {}),
      ...(this.record.resources ? { resources: this.record.resources } : {}),
      readOnly: this.trail.readOnly ?? false,
      ...(error ? { errorCode: error.code, errorMessage: error.message } : {}),
    });
  }
}
