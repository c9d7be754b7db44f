import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { AwsServiceError } from "./errors";

export type ControlHandler = (body: unknown, query: URLSearchParams) => unknown;
export type AwsHandler = (target: string, body: string) => { status: number; payload: unknown; jsonVersion: string };
/** An AWS Query-protocol service (form-encoded Action=…, XML answers), e.g. STS. */
export type QueryHandler = (params: URLSearchParams) => { status: number; xml: string };

/** One loopback port: AWS JSON protocols routed by X-Amz-Target, and the local control API under /_local/. */
export class HttpFront {
  private server?: Server;
  private readonly control = new Map<string, ControlHandler>();
  private readonly queryServices = new Map<string, QueryHandler>();
  /** While set, requests wait for it (all but the health route): see `hold`. */
  private gate?: { opened: Promise<void>; open: () => void };

  constructor(private readonly aws: AwsHandler) {}

  /**
   * Holds every request except `GET /_local/health` until `open()`: the port can be bound (its address is needed to
   * deploy the runtime) while a client that only waits for the port still never meets a half-deployed account.
   */
  hold(): void {
    if (this.gate) return;
    let open = () => {};
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.gate = { opened, open };
  }

  open(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  get ready(): boolean {
    return this.gate === undefined;
  }

  route(method: "GET" | "POST" | "DELETE", path: string, handler: ControlHandler): void {
    this.control.set(`${method} ${path}`, handler);
  }

  /** Serves a Query-protocol service; requests are told apart by the signing name in their Authorization header. */
  query(signingName: string, handler: QueryHandler): void {
    this.queryServices.set(signingName, handler);
  }

  listen(port: number, host: string): Promise<number> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => send(res, 500, { message: String(error) }, "application/json"));
    });
    const server = this.server;
    // Clients (undici, the SDK) keep idle sockets ~4-5 s and may reuse one just as a 5 s server timeout closes it
    // ("other side closed"); holding idle connections longer than any client does removes that race.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://local");
    if (this.gate && !(req.method === "GET" && url.pathname === "/_local/health")) await this.gate.opened;
    const target = req.headers["x-amz-target"];
    if (typeof target === "string") {
      const out = this.aws(target, body);
      send(res, out.status, out.payload, `application/x-amz-json-${out.jsonVersion}`);
      return;
    }
    const queryService = queryServiceOf(req);
    const queryHandler = queryService ? this.queryServices.get(queryService) : undefined;
    if (req.method === "POST" && queryHandler) {
      const out = queryHandler(new URLSearchParams(body));
      const text = out.xml;
      res.writeHead(out.status, {
        "content-type": "text/xml",
        "content-length": Buffer.byteLength(text),
        "x-amzn-requestid": randomUUID(),
      });
      res.end(text);
      return;
    }
    const handler = this.control.get(`${req.method} ${url.pathname}`);
    if (!handler) {
      send(res, 404, { message: `No route ${req.method} ${url.pathname}` }, "application/json");
      return;
    }
    try {
      const parsed = body.trim() === "" ? {} : JSON.parse(body);
      // Awaited: a clock advance answers once it has settled what fell due inside it.
      send(res, 200, (await handler(parsed, url.searchParams)) ?? {}, "application/json");
    } catch (error: unknown) {
      const status = error instanceof AwsServiceError ? error.status : 400;
      const name = error instanceof Error ? error.name : "Error";
      send(
        res,
        status,
        { error: name, message: error instanceof Error ? error.message : String(error) },
        "application/json",
      );
    }
  }
}

/** The service a form-encoded SigV4 request is signed for (`Credential=…/<date>/<region>/<service>/aws4_request`). */
function queryServiceOf(req: IncomingMessage): string | undefined {
  if (!String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) return undefined;
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ""))?.[1];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, payload: unknown, contentType: string): void {
  const text = JSON.stringify(payload);
  const headers: Record<string, string | number> = {
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
  };
  if (status >= 400 && payload && typeof payload === "object" && "__type" in payload) {
    headers["x-amzn-errortype"] = String((payload as { __type: string }).__type);
  }
  res.writeHead(status, headers);
  res.end(text);
}
