import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** An answer that is an AWS error of this type (HTTP 400, `__type`), as the JSON protocols send one. */
export class ErrorAnswer {
  constructor(readonly type: string) {}
}

/**
 * A local HTTP endpoint that answers each AWS JSON call (by its X-Amz-Target operation) with a fixed body, so a real
 * SDK client parses a documented response with its own deserializer. Records the operations called, in order.
 */
export class AnsweringEndpoint {
  readonly calls: string[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(answers: Record<string, unknown>): Promise<AnsweringEndpoint> {
    let endpoint: AnsweringEndpoint | undefined;
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const operation =
          String(req.headers["x-amz-target"] ?? "")
            .split(".")
            .at(-1) ?? "";
        endpoint?.calls.push(operation);
        const answer = operation in answers ? answers[operation] : new ErrorAnswer("UnknownOperationException");
        const failed = answer instanceof ErrorAnswer;
        res.writeHead(failed ? 400 : 200, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify(failed ? { __type: answer.type, message: answer.type } : answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = new AnsweringEndpoint(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return endpoint;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
