import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { networkInterfaces } from "node:os";
import { AwsServiceError } from "./errors";

export type ControlHandler = (body: unknown, query: URLSearchParams) => unknown;
/** Answers one AWS JSON call; `region` is the one it was signed for, when its Authorization header names one. */
export type AwsHandler = (
  target: string,
  body: string,
  region: string | undefined,
) => { status: number; payload: unknown; jsonVersion: string };
/** What a browser page answers: a body of its own type, with headers of its own (a Content-Security-Policy). */
export type PageResponse = { status?: number; contentType: string; body: string; headers?: Record<string, string> };
export type PageHandler = (query: URLSearchParams) => PageResponse | Promise<PageResponse>;
/** An AWS Query-protocol service (form-encoded Action=…, XML answers), e.g. STS. */
export type QueryHandler = (params: URLSearchParams) => { status: number; xml: string };

/**
 * Largest request body read, in bytes. AWS's own limits for the APIs served are far below it: Encrypt takes up to
 * 4,096 bytes of plaintext (https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html), a secret value up
 * to 65,536 bytes (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html), a Step
 * Functions input 256 KiB (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The header that carries the control token on `/_local/*` requests. */
export const CONTROL_TOKEN_HEADER = "x-local-account-token";

/**
 * Where browser pages live (GET only). A browser cannot send the token header: `?token=` once sets a cookie for this
 * path and redirects to the URL without it (see `servePage`).
 */
export const PAGE_PREFIX = "/_local/ui";

/** The one control route open without the token: whether the account is up, and where the token file is. */
const HEALTH = "GET /_local/health";

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** Whether `host` (a bind address or a Host name) only reaches this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127(\.\d{1,3}){3}$/.test(host) || host.endsWith(".localhost");
}

/** A request refused before any route sees it: status and a message naming what to fix. */
class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "RefusedError";
  }
}

/**
 * One port: AWS JSON protocols routed by X-Amz-Target, and the local control API under /_local/. Safe on a shared
 * machine: every request must name this machine in Host (a DNS-rebound name is refused), control routes need the
 * per-start token, refuse cross-origin browser requests and take only JSON; bodies are capped.
 */
export class HttpFront {
  private server?: Server;
  private readonly control = new Map<string, ControlHandler>();
  private readonly queryServices = new Map<string, QueryHandler>();
  private readonly pages = new Map<string, PageHandler>();
  /** While set, requests wait for it (all but the health route): see `hold`. */
  private gate?: { opened: Promise<void>; open: () => void };
  private boundHost = "127.0.0.1";

  constructor(
    private readonly aws: AwsHandler,
    private readonly token: string,
  ) {}

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

  /** A read-only page at `path` (under PAGE_PREFIX) for a browser: the token header or the page cookie opens it. */
  page(path: string, handler: PageHandler): void {
    if (path !== PAGE_PREFIX && !path.startsWith(`${PAGE_PREFIX}/`)) {
      throw new Error(`Pages live under ${PAGE_PREFIX}: ${path}`);
    }
    this.pages.set(path, handler);
  }

  /** Serves a Query-protocol service; requests are told apart by the signing name in their Authorization header. */
  query(signingName: string, handler: QueryHandler): void {
    this.queryServices.set(signingName, handler);
  }

  listen(port: number, host: string): Promise<number> {
    this.boundHost = host;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (error instanceof Refused) refuse(req, res, error);
        else if (isPage(req)) sendPage(res, { status: 500, contentType: "text/plain", body: String(error) });
        else send(res, 500, { message: String(error) }, "application/json");
      });
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
    this.checkHost(req);
    const url = new URL(req.url ?? "/", "http://local");
    const target = req.headers["x-amz-target"];
    const key = `${req.method} ${url.pathname}`;
    const page = req.method === "GET" ? this.pages.get(url.pathname) : undefined;
    if (page) {
      await this.servePage(req, res, url, page);
      return;
    }
    // Control requests are checked before their body is read: nothing unauthenticated is buffered. Query-protocol AWS
    // calls (STS) carry a SigV4 Authorization header, which a browser cannot send cross-origin without a preflight.
    const queryService = queryServiceOf(req);
    if (typeof target !== "string" && !queryService) this.checkControl(req, key);
    const body = await readBody(req);
    if (this.gate && key !== HEALTH) await this.gate.opened;
    if (typeof target === "string") {
      // AWS routes take any SigV4 signature (the SDK signs with dummy credentials). A browser cannot send
      // X-Amz-Target cross-origin without a CORS preflight, which this server never grants.
      const out = this.aws(target, body, signedRegion(req));
      send(res, out.status, out.payload, `application/x-amz-json-${out.jsonVersion}`);
      return;
    }
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
    const handler = this.control.get(key);
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

  /**
   * A page for a browser, which cannot send the token header. `?token=<token>` (compared in constant time) answers a
   * redirect to the URL without it, setting an HttpOnly, SameSite=Strict cookie for PAGE_PREFIX only; the cookie holds
   * a key derived from the token, never the token, so it opens the pages and no control route, and it stops working
   * when the account restarts with a new token. Without the header or the cookie the page is refused (401), as is any
   * cross-site request. Nothing unauthenticated reaches the handler or is buffered.
   */
  private async servePage(req: IncomingMessage, res: ServerResponse, url: URL, page: PageHandler): Promise<void> {
    req.resume();
    if (req.headers["sec-fetch-site"] === "cross-site") throw new Refused(403, "Cross-site request refused");
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) {
      throw new Refused(403, `Cross-origin request from ${origin} refused`);
    }
    const offered = url.searchParams.get("token");
    if (offered !== null) {
      if (!sameSecret(offered, this.token)) {
        throw new Refused(403, "Wrong token: it changes at every start of the local account; use the one it printed");
      }
      url.searchParams.delete("token");
      const cookie = `${this.pageCookieName()}=${this.pageKey()}; HttpOnly; SameSite=Strict; Path=${PAGE_PREFIX}`;
      res.writeHead(303, {
        location: `${url.pathname}${url.search}`,
        "set-cookie": cookie,
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
        "content-length": 0,
      });
      res.end();
      return;
    }
    const header = req.headers[CONTROL_TOKEN_HEADER];
    const cookie = cookieValue(req.headers.cookie, this.pageCookieName());
    const allowed =
      (typeof header === "string" && sameSecret(header, this.token)) ||
      (cookie !== undefined && sameSecret(cookie, this.pageKey()));
    if (!allowed) {
      throw new Refused(
        401,
        `This page needs the local account's control token: open ${url.pathname}?token=<token>, with the token the account printed at start (also in the control-token file of its data directory)`,
      );
    }
    if (this.gate) await this.gate.opened;
    sendPage(res, await page(url.searchParams));
  }

  /** The page cookie's value: derived from the token, so a leaked cookie is not the token. */
  private pageKey(): string {
    return createHmac("sha256", this.token).update("local account status page").digest("hex");
  }

  /** One cookie per port: two local accounts open in one browser (cookies ignore ports) keep their own. */
  private pageCookieName(): string {
    const address = this.server?.address();
    return `local-account-page-${typeof address === "object" && address ? address.port : 0}`;
  }

  /** Host must name this machine: a page whose DNS name was rebound to 127.0.0.1 still sends its own name. */
  private checkHost(req: IncomingMessage): void {
    const header = req.headers.host;
    if (!header) throw new Refused(400, "Missing Host header");
    const name = hostName(header);
    if (isLoopback(name) || name === this.boundHost || this.interfaceAddresses().has(name)) return;
    throw new Refused(403, `Host ${name} is not this local account; use ${this.boundHost} or localhost`);
  }

  private interfaceAddresses(): Set<string> {
    // Bound to every interface (a warning was printed): any of this machine's own addresses is a fair Host.
    if (this.boundHost !== "0.0.0.0" && this.boundHost !== "::") return new Set();
    return new Set(
      Object.values(networkInterfaces())
        .flatMap((list) => list ?? [])
        .map((i) => i.address),
    );
  }

  /** The token, then no cross-origin browser request, then JSON only on POST (a "simple" cross-origin POST can't). */
  private checkControl(req: IncomingMessage, key: string): void {
    if (key === HEALTH) return;
    const given = req.headers[CONTROL_TOKEN_HEADER];
    if (typeof given !== "string" || given === "") {
      throw new Refused(
        401,
        `Control routes need the local account's token in the ${CONTROL_TOKEN_HEADER} header: it is printed at start and written to the control-token file in the data directory`,
      );
    }
    if (!sameSecret(given, this.token)) {
      throw new Refused(403, `Wrong ${CONTROL_TOKEN_HEADER}: the token changes at every start of the local account`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) {
      throw new Refused(403, `Cross-origin request from ${origin} refused`);
    }
    if (req.headers["sec-fetch-site"] === "cross-site") throw new Refused(403, "Cross-site request refused");
    if (req.method === "POST") {
      const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
      if (type !== "application/json") {
        throw new Refused(415, "Control POST requests need content-type: application/json");
      }
    }
  }
}

function isPage(req: IncomingMessage): boolean {
  const path = new URL(req.url ?? "/", "http://local").pathname;
  return path === PAGE_PREFIX || path.startsWith(`${PAGE_PREFIX}/`);
}

/** The value of cookie `name` in a Cookie header, if sent. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** A page's answer: never cached, never framed, never sniffed, never sent on as a referrer. */
function sendPage(res: ServerResponse, page: PageResponse): void {
  const type = page.contentType.includes("charset") ? page.contentType : `${page.contentType}; charset=utf-8`;
  res.writeHead(page.status ?? 200, {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    ...page.headers,
    "content-type": type,
    "content-length": Buffer.byteLength(page.body),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
  });
  res.end(page.body);
}

/** The service a form-encoded SigV4 request is signed for (`Credential=…/<date>/<region>/<service>/aws4_request`). */
function queryServiceOf(req: IncomingMessage): string | undefined {
  if (!String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) return undefined;
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ""))?.[1];
}

/** The Region in a SigV4 credential scope (`Credential=…/<date>/<region>/<service>/aws4_request`). */
function signedRegion(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/[^/]+\/([^/]+)\/[^/]+\/aws4_request/.exec(String(req.headers.authorization ?? ""))?.[1];
}

function hostName(header: string): string {
  if (header.startsWith("[")) return header.slice(0, header.indexOf("]") + 1);
  return header.replace(/:\d+$/, "").toLowerCase();
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The body as text, refusing (413) at the first byte past MAX_BODY_BYTES rather than buffering it. */
function readBody(req: IncomingMessage): Promise<string> {
  const tooLarge = () => new Refused(413, `Request body larger than ${MAX_BODY_BYTES} bytes`);
  if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.off("data", onData);
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Answers a refused request; the rest of its body is read and dropped, never kept, so the client sees the answer. */
function refuse(req: IncomingMessage, res: ServerResponse, error: Refused): void {
  const payload =
    typeof req.headers["x-amz-target"] === "string"
      ? {
          __type: error.status === 413 ? "RequestEntityTooLargeException" : "AccessDeniedException",
          message: error.message,
        }
      : { error: error.name, message: error.message };
  const type = typeof req.headers["x-amz-target"] === "string" ? "application/x-amz-json-1.1" : "application/json";
  req.resume();
  if (isPage(req)) {
    sendPage(res, { status: error.status, contentType: "text/plain", body: `${error.message}\n` });
    return;
  }
  send(res, error.status, payload, type);
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
