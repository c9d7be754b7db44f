import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListKeysCommand } from "@aws-sdk/client-kms";
import { LocalAccountProcess } from "../../local/account/process";
import { MAX_BODY_BYTES } from "../../local/account/server";

type Answer = { status: number; json: Record<string, unknown> };

/** One raw HTTP request (node:http, so Host and Origin can be anything), answered as JSON. */
function send(
  endpoint: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(options.path ?? "/", endpoint),
      { method: options.method ?? "GET", headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("the local account on a shared machine", () => {
  let account: LocalAccountProcess;
  let startedAt = 0;
  beforeAll(async () => {
    startedAt = Date.now();
    account = await LocalAccountProcess.start();
  });
  afterAll(() => account.stop());

  const withToken = (headers: Record<string, string> = {}) => ({
    "content-type": "application/json",
    "x-local-account-token": account.token,
    ...headers,
  });

  describe("control token", () => {
    it("returns 401 naming the header when a control route is called without the token, and changes nothing", async () => {
      const before = await account.now();

      const out = await send(account.endpoint, {
        method: "POST",
        path: "/_local/clock/advance",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ by: "31d" }),
      });

      expect(out.status).toBe(401);
      expect(out.json.message).toContain("x-local-account-token");
      expect((await account.now()).getTime() - before.getTime()).toBeLessThan(86_400_000);
    });

    it("returns 403 when the token is wrong", async () => {
      const out = await send(account.endpoint, {
        path: "/_local/clock",
        headers: { "x-local-account-token": "0".repeat(64) },
      });

      expect(out.status).toBe(403);
      expect(out.json.message).toContain("Wrong x-local-account-token");
    });

    it("returns the health without the token, naming the token file but never the token", async () => {
      const out = await send(account.endpoint, { path: "/_local/health" });

      expect(out.status).toBe(200);
      expect(out.json.tokenFile).toBe(join(account.dataDir, "control-token"));
      expect(JSON.stringify(out.json)).not.toContain(account.token);
    });

    it("writes the token 0600 into the data directory, and a new one at every start", async () => {
      const file = join(account.dataDir, "control-token");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, "utf8").trim()).toBe(account.token);
      expect(account.token).toMatch(/^[0-9a-f]{64}$/);
      const old = account.token;

      await account.restart();

      expect(account.token).not.toBe(old);
      const stale = await send(account.endpoint, { path: "/_local/clock", headers: { "x-local-account-token": old } });
      expect(stale.status).toBe(403);
      expect((await send(account.endpoint, { path: "/_local/clock", headers: withToken() })).status).toBe(200);
    });

    it("returns AWS answers to requests signed with any credentials, without the token", async () => {
      const out = await account.kms().send(new ListKeysCommand({}));

      expect(out.Keys).toBeDefined();
    });
  });

  describe("Host, Origin and JSON", () => {
    it("returns 403 for a Host that is not this machine (DNS rebinding), on AWS and control routes alike", async () => {
      const aws = await send(account.endpoint, {
        method: "POST",
        headers: {
          host: "attacker.example:4599",
          "x-amz-target": "TrentService.ListKeys",
          "content-type": "application/x-amz-json-1.1",
        },
        body: "{}",
      });
      const control = await send(account.endpoint, {
        path: "/_local/clock",
        headers: withToken({ host: "attacker.example" }),
      });

      expect(aws.status).toBe(403);
      expect(aws.json.message).toContain("Host attacker.example is not this local account");
      expect(control.status).toBe(403);
    });

    it("returns 200 for the loopback names localhost and 127.0.0.1", async () => {
      const port = new URL(account.endpoint).port;
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
        const out = await send(account.endpoint, { path: "/_local/clock", headers: withToken({ host }) });
        expect(out.status).toBe(200);
      }
    });

    it("returns 403 for a control request from another origin, even with the token, and changes nothing", async () => {
      const before = await account.now();

      const out = await send(account.endpoint, {
        method: "POST",
        path: "/_local/clock/advance",
        headers: withToken({ origin: "http://attacker.example" }),
        body: JSON.stringify({ by: "31d" }),
      });

      expect(out.status).toBe(403);
      expect(out.json.message).toContain("Cross-origin request from http://attacker.example refused");
      expect((await account.now()).getTime() - before.getTime()).toBeLessThan(86_400_000);
    });

    it("returns 415 for a control POST that is not application/json (a cross-origin simple POST), and changes nothing", async () => {
      const before = await account.now();

      const out = await send(account.endpoint, {
        method: "POST",
        path: "/_local/clock/advance",
        headers: withToken({ "content-type": "text/plain" }),
        body: JSON.stringify({ by: "31d" }),
      });

      expect(out.status).toBe(415);
      expect(out.json.message).toContain("content-type: application/json");
      expect((await account.now()).getTime() - before.getTime()).toBeLessThan(86_400_000);
    });
  });

  describe("request body cap", () => {
    it("returns 413 when the declared body is over the cap", async () => {
      const out = await new Promise<Answer>((resolve, reject) => {
        const req = request(
          account.endpoint,
          {
            method: "POST",
            headers: {
              "x-amz-target": "TrentService.ListKeys",
              "content-type": "application/x-amz-json-1.1",
              "content-length": String(MAX_BODY_BYTES + 1),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              req.destroy();
              resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
            });
          },
        );
        req.on("error", reject);
        // Only the headers are sent: the answer must not wait for the body.
        req.flushHeaders();
      });

      expect(out.status).toBe(413);
      expect(out.json).toMatchObject({ __type: "RequestEntityTooLargeException" });
      expect(out.json.message).toContain(`larger than ${MAX_BODY_BYTES} bytes`);
    });

    it("returns 413 as soon as a chunked body passes the cap, before the body ends", async () => {
      const out = await new Promise<Answer>((resolve, reject) => {
        const req = request(
          new URL("/_local/faults", account.endpoint),
          { method: "POST", headers: withToken({ "transfer-encoding": "chunked" }) },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              req.destroy();
              resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
            });
          },
        );
        req.on("error", reject);
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        // One MiB past the cap, and the request is never ended: only a server that stops at the cap answers.
        for (let i = 0; i <= MAX_BODY_BYTES / chunk.length; i++) req.write(chunk);
      });

      expect(out.status).toBe(413);
      expect(out.json.message).toContain(`larger than ${MAX_BODY_BYTES} bytes`);
      expect((await account.control<{ faults: unknown[] }>("GET", "/_local/faults")).faults).toEqual([]);
    });
  });

  describe("SoftHSM configuration", () => {
    it("writes the SoftHSM configuration 0600 into the data directory", async () => {
      const conf = join(account.dataDir, "softhsm", "softhsm2.conf");

      expect(statSync(conf).mode & 0o777).toBe(0o600);
      expect(readFileSync(conf, "utf8")).toContain(
        `directories.tokendir = ${join(account.dataDir, "softhsm", "tokens")}`,
      );
      const env = join(account.dataDir, "softhsm", "softhsm2.env");
      expect(statSync(env).mode & 0o777).toBe(0o600);
      expect(readFileSync(env, "utf8")).toBe(`SOFTHSM2_CONF=${conf}\n`);
      // Nothing written at the old predictable names in the shared temporary directory, where a planted link was
      // followed (files there from before this start, with a reused pid, are not this account's).
      const written = readdirSync(tmpdir()).filter(
        (f) => f.startsWith("keystore-autopilot-softhsm2-") && statSync(join(tmpdir(), f)).mtimeMs >= startedAt - 1000,
      );
      expect(written).toEqual([]);
    });
  });
});

describe("the local account's start", () => {
  it("refuses to start, leaving the target untouched, when a link is planted where its SoftHSM configuration goes", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "local-account-link-"));
    const victim = join(dataDir, "victim.txt");
    writeFileSync(victim, "not a SoftHSM configuration\n");
    mkdirSync(join(dataDir, "softhsm"));
    symlinkSync(victim, join(dataDir, "softhsm", "softhsm2.conf"));

    await expect(LocalAccountProcess.start({ dataDir })).rejects.toThrow(/ELOOP/);

    expect(readFileSync(victim, "utf8")).toBe("not a SoftHSM configuration\n");
    expect(lstatSync(join(dataDir, "softhsm", "softhsm2.conf")).isSymbolicLink()).toBe(true);
  });

  it("warns on stderr when told to listen on every interface", async () => {
    const account = await LocalAccountProcess.start({ env: { LOCAL_ACCOUNT_HOST: "0.0.0.0" } });
    try {
      expect(account.log).toContain("WARNING: the local account listens on 0.0.0.0, not loopback");
    } finally {
      await account.stop();
    }
  });

  it("listens on 127.0.0.1 and prints no warning by default", async () => {
    const account = await LocalAccountProcess.start();
    try {
      expect(new URL(account.endpoint).hostname).toBe("127.0.0.1");
      expect(account.log).not.toContain("WARNING");
    } finally {
      await account.stop();
    }
  });
});
