import { createServer, type Server } from "node:http";
import { LocalAccountNotReadyError } from "../../../cli/errors";
import { waitUntilReady } from "../../../cli/target";

/** A stand-in for `npm start`'s health route: not ready for the first `notReadyFor` answers. */
async function healthServer(notReadyFor: number): Promise<{ endpoint: string; server: Server; asked: () => number }> {
  let asked = 0;
  const server = createServer((_req, res) => {
    asked++;
    const body = {
      ok: true,
      ready: asked > notReadyFor,
      region: "us-east-1",
      accountId: "111122223333",
      now: "2026-01-01T00:00:00.000Z",
    };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, server, asked: () => asked };
}

describe("the CLI waits for the local account to be ready", () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

  it("returns the health once ready, having said once that it waits, when npm start is still deploying", async () => {
    const { endpoint, server, asked } = await healthServer(2);
    servers.push(server);
    const lines: string[] = [];

    const health = await waitUntilReady(endpoint, (line) => lines.push(line));

    expect(health).toMatchObject({ ready: true, region: "us-east-1", accountId: "111122223333" });
    expect(asked()).toBe(3);
    expect(lines).toEqual([`Waiting for the local account at ${endpoint} to finish deploying serverless.yml...\n`]);
  });

  it("returns LocalAccountNotReadyError naming the endpoint when the account never gets ready", async () => {
    const { endpoint, server } = await healthServer(Number.POSITIVE_INFINITY);
    servers.push(server);

    await expect(waitUntilReady(endpoint, () => {}, 300)).rejects.toThrow(LocalAccountNotReadyError);
    await expect(waitUntilReady(endpoint, () => {}, 300)).rejects.toThrow(endpoint);
  });
});
