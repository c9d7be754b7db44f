import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installCliLayer } from "../../local/runtime/cli-layer";
import { CloudHsmCli, processRunner } from "../../src/adapters/cloudhsm-cli";

/** A copy of the CLI layer whose configuration names the cluster at the stand-in (written below, once it listens). */
const LOCAL_CLI_PATH = installCliLayer(mkdtempSync(join(tmpdir(), "cli-layer-")));

/**
 * Any local user can read /proc/<pid>/cmdline of any process; /proc/<pid>/environ only its owner. The real adapter
 * spawns the shipped local CLI, and a stand-in for the local account holds the CLI's request open while the test
 * reads /proc of that child: the child is alive and past its start for as long as the request waits, so the reading
 * does not depend on timing.
 */
type Seen = {
  url: string;
  body: { argv?: string[]; answers?: string[] };
  children: number;
  cmdline: string[];
  env: string[];
};

const CLUSTER = "cluster-abcdefghijk";
const ADMIN = { username: "admin", role: "admin" as const, password: "AdminPassw0rd1" };
const NEW_PASSWORD = "N3wPasswordOnlyOnStdin";

/** This process's children that run the local CLI. */
function cliChildren(): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const ppid = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
        return Number(ppid) === process.pid && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(LOCAL_CLI_PATH);
      } catch {
        return false; // exited between listing and reading
      }
    });
}

const nulSeparated = (path: string) => readFileSync(path, "utf8").split("\0").filter(Boolean);

describe("CloudHSM CLI adapter: new passwords stay off the command line", () => {
  let server: Server;
  let endpoint: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    // The local CLI reads the account's control token from the file its health route names.
    const tokenFile = join(mkdtempSync(join(tmpdir(), "stand-in-")), "control-token");
    writeFileSync(tokenFile, "stand-in-token", { mode: 0o600 });
    server = createServer((req, res) => {
      if (req.method === "GET" && req.url === "/_local/health") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ ready: true, tokenFile }));
        return;
      }
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const pids = cliChildren();
        const pid = pids[0];
        seen.push({
          url: req.url ?? "",
          body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
          children: pids.length,
          cmdline: pid === undefined ? [] : nulSeparated(`/proc/${pid}/cmdline`),
          env: pid === undefined ? [] : nulSeparated(`/proc/${pid}/environ`),
        });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ error_code: 0, data: { username: "kmsuser", role: "crypto-user" } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(
      join(LOCAL_CLI_PATH, "../../etc/cloudhsm-cli.cfg"),
      JSON.stringify({ clusters: [{ cluster_id: CLUSTER, endpoint, servers: ["10.0.0.10"] }] }),
    );
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
  });

  const cli = () => new CloudHsmCli(processRunner({ cliPath: LOCAL_CLI_PATH }));

  it.each([
    [
      "user change-password",
      (c: CloudHsmCli) => c.changePassword(CLUSTER, ADMIN, { username: "kmsuser", role: "crypto-user" }, NEW_PASSWORD),
    ],
    [
      "user create",
      (c: CloudHsmCli) => c.createUser(CLUSTER, ADMIN, { username: "kmsuser", role: "crypto-user" }, NEW_PASSWORD),
    ],
    ["cluster activate", (c: CloudHsmCli) => c.activateCluster(CLUSTER, NEW_PASSWORD)],
  ])("returns with the password in neither the child's argv nor its environment when %s runs", async (command, act) => {
    await act(cli());

    expect(seen).toHaveLength(1);
    const [run] = seen as [Seen];
    expect(run.children).toBe(1);
    expect(run.cmdline.join(" ")).toContain(command);
    expect(run.cmdline.join("\0")).not.toContain(NEW_PASSWORD);
    expect(run.cmdline.join("\0")).not.toContain(ADMIN.password);
    expect(run.cmdline).not.toContain("--password");
    expect(run.env.join("\0")).not.toContain(NEW_PASSWORD);
    // Only the variables the CLI needs; the login's password only in CLOUDHSM_PIN, as single-command mode documents.
    const names = run.env.map((entry) => entry.slice(0, entry.indexOf("=")));
    expect(names.sort()).toEqual(command === "cluster activate" ? ["PATH"] : ["CLOUDHSM_PIN", "CLOUDHSM_ROLE", "PATH"]);
    // The typed answers reach the local account in the request body, never in its URL.
    expect(run.url).toBe("/_local/cloudhsm-cli");
    expect(run.body.answers).toEqual([NEW_PASSWORD, NEW_PASSWORD]);
  });
});
