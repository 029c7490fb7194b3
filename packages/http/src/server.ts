// HTTP/1.1 on framing's byte-stream mode: parses requests, calls a Fetch handler, answers in order.
// The socket, its limits, deadlines, backpressure and TLS are framing's Connection; this file
// only knows HTTP: exchanges, pipelining, keep-alive and what to answer when a limit is hit.
import {
  bytes,
  type FramingError,
  type ListenTlsOptions,
  type Log,
  listen,
  type TlsCredentials,
} from "@netkit/framing";
import { HTTP_DEFAULTS } from "./defaults.ts";
import { HttpError } from "./errors.ts";
import { type RequestHead, RequestParser } from "./request-parser.ts";
import { DateClock, serializeErrorResponse } from "./response-writer.ts";
import { type HttpConnection, put, type ResponseSink, sendResponse } from "./send-response.ts";
import { type ConnectionTakeover, switchOf } from "./takeover.ts";

/** Who sent a request: what Bun.serve's `server.requestIP(request)` tells, and the scheme. */
export interface ClientInfo {
  /** The peer's IP address (the proxy's, behind a reverse proxy). */
  readonly address: string;
  /** The peer's TCP port. */
  readonly port: number;
  /** The request came over TLS. */
  readonly secure: boolean;
}

/**
 * The web-standard application interface (the TypeScript counterpart of WSGI), with the client's
 * address as a second argument for handlers that limit by address.
 */
export type FetchHandler = (request: Request, client: ClientInfo) => Response | Promise<Response>;

/** What `startHttpServer` takes; every limit left out comes from `HTTP_DEFAULTS`. */
export interface HttpServerOptions {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** 0 lets the OS pick; read the bound port from the returned server. @default 8080 */
  port?: number;
  /** Answers every request (Hono's `app.fetch`, or any `(request, client) => Response`). */
  fetch: FetchHandler;
  /** @default 16384 */
  maxHeaderBytes?: number;
  /** @default 100 */
  maxHeaderCount?: number;
  /** @default 1048576 */
  maxBodyBytes?: number;
  /**
   * A request (head and body) must arrive within this long of its first byte, plus one second
   * per `minRequestBytesPerSecond` bytes received meanwhile; past it → 408 and close. No byte
   * resets it, so a slowloris head or a trickled body cannot hold a connection. @default 10000
   */
  requestTimeoutMs?: number;
  /** The rate allowance of `requestTimeoutMs` (nginx's client_body_timeout, as a rate). @default 1024 */
  minRequestBytesPerSecond?: number;
  /** A connection with no request in progress (before the first, between kept-alive ones). @default 5000 */
  keepAliveTimeoutMs?: number;
  /** @default 10000 */
  maxConnections?: number;
  /** Connections from one source address; 0 = no cap. Over it → 503 and close. @default 64 */
  maxConnectionsPerAddress?: number;
  /** Response bytes queued for a slow reader; past it writing waits for the reader. @default 1048576 */
  maxQueuedBytes?: number;
  /** A reader that leaves over 64 KiB of response unread this long is disconnected. @default 30000 */
  sendTimeoutMs?: number;
  /** Bytes of incomplete requests all connections may hold; the biggest holders go first. @default 32 MiB */
  maxBufferedInputBytes?: number;
  /** @default 32 */
  maxPipelinedRequests?: number;
  /** Also serve HTTPS on `tls.port` with this certificate and key (PEM). */
  tls?: ListenTlsOptions | undefined;
  /** Receives `http.listen`, `http.reject`, `http.handler_error`, … events. @default no-op */
  log?: Log;
}

/** A running HTTP server, from `startHttpServer`. */
export interface HttpServer {
  /** The address it listens on. */
  readonly hostname: string;
  /** The bound port (the OS's pick when `port: 0` was asked for). */
  readonly port: number;
  /** The HTTPS port, when `tls` was given. */
  readonly tlsPort: number | undefined;
  /** Open connections right now. */
  readonly connectionCount: number;
  /** Swaps the HTTPS certificate without dropping connections; throws TlsError if unusable. */
  reloadTls(credentials: TlsCredentials): void;
  /**
   * Stops accepting; with `closeActive` (default) also closes every open connection (taken-over
   * ones included) and resolves once they are all closed.
   */
  stop(closeActive?: boolean): Promise<void>;
}

/** One parsed request on a connection, waiting for or being handled by the Fetch handler. */
interface Exchange {
  head: RequestHead;
  chunks: Uint8Array[];
  bodyBytes: number;
  controller: ReadableStreamDefaultController<Uint8Array> | null;
  complete: boolean;
  continueSent: boolean;
}

/** The HTTP state of one framing Connection. */
interface Conn extends ResponseSink {
  client: ClientInfo;
  parser: RequestParser;
  /** queue[0] is being handled when `active`; the rest were pipelined behind it. */
  queue: Exchange[];
  /** The exchange whose bytes the parser is reading now. */
  parsing: Exchange | null;
  active: boolean;
  /** The active exchange's response has started going out: a late error can only close. */
  responding: boolean;
  /** Input delivery is held: too many requests pipelined ahead. */
  held: boolean;
  peerEnded: boolean;
  /** A parse error to answer once the requests before it are answered. */
  pendingError: HttpError | null;
  /** The connection left HTTP (switchProtocols): its bytes go here now. */
  takenOver: ConnectionTakeover | null;
  /** The last request URL and the target and Host it was made of: a kept-alive client repeats them. */
  urlTarget: string;
  urlHost: string;
  url: string;
  /**
   * The last bodiless request's method, URL and fields, and once a request repeated them, a
   * Request built from them that is never handed out: the next repeats get its clone().
   */
  lastMethod: string;
  lastUrl: string;
  lastFields: [string, string][];
  template: Request | null;
}

/** The options that are counts or durations, each with a default in HTTP_DEFAULTS. */
type NumericSetting = {
  [K in keyof HttpServerOptions & keyof typeof HTTP_DEFAULTS]-?: HttpServerOptions[K] extends
    | number
    | undefined
    ? K
    : never;
}[keyof HttpServerOptions & keyof typeof HTTP_DEFAULTS];

const WRITE_HIGH_WATER = 256 * 1024;
/** Exchange.chunks of a request with no body bytes yet (shared: most requests never get one). */
const NO_CHUNKS: Uint8Array[] = [];
/** Conn.lastFields before any request. */
const NO_FIELDS: [string, string][] = [];
const CONTINUE = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n", "latin1");

/** The same field lines, in the same order (the parser reuses a repeated line's strings). */
function sameFields(a: [string, string][], b: [string, string][]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as [string, string];
    const y = b[i] as [string, string];
    if (x[0] !== y[0] || x[1] !== y[1]) return false;
  }
  return true;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer`);
  return value;
}

/**
 * Starts an HTTP/1.1 server that answers every request with `fetch(request, client)`; resolves
 * once it listens (`port` is the bound one). Bad options reject with a RangeError or TypeError
 * naming the option. `stop()` waits for every connection to close.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const fetchHandler = options.fetch;
  if (typeof fetchHandler !== "function") throw new TypeError("fetch must be a function");
  const hostname = options.hostname ?? HTTP_DEFAULTS.hostname;
  const setting = (name: NumericSetting) =>
    positiveInteger(name, options[name] ?? HTTP_DEFAULTS[name]);
  const limits = {
    maxHeaderBytes: setting("maxHeaderBytes"),
    maxHeaderCount: setting("maxHeaderCount"),
    maxBodyBytes: setting("maxBodyBytes"),
  };
  const keepAliveTimeoutMs = setting("keepAliveTimeoutMs");
  const maxQueuedBytes = setting("maxQueuedBytes");
  const maxPipelined = setting("maxPipelinedRequests");
  // Responses wait for the reader at 256 KiB queued, so one that reads at least 192 KiB per
  // send timeout is never taken for a stalled one (framing's rule: over 64 KiB for that long).
  const writeHighWater = Math.min(maxQueuedBytes, WRITE_HIGH_WATER);
  const log = options.log;
  const clock = new DateClock();
  const conns = new Map<HttpConnection, Conn>();
  const errorBytes = (status: number, message: string) =>
    serializeErrorResponse(status, message, clock.value);

  // --- input --------------------------------------------------------------------------------

  function createConn(connection: HttpConnection): Conn {
    const conn: Conn = {
      connection,
      client: {
        address: connection.remoteAddress,
        port: connection.remotePort,
        secure: connection.secure,
      },
      maxQueuedBytes: writeHighWater,
      parser: new RequestParser(
        {
          onHead(head) {
            const exchange: Exchange = {
              head,
              chunks: NO_CHUNKS,
              bodyBytes: 0,
              controller: null,
              complete: false,
              continueSent: false,
            };
            conn.parsing = exchange;
            conn.queue.push(exchange);
          },
          onBody(data) {
            const exchange = conn.parsing as Exchange;
            exchange.bodyBytes += data.length; // data is the parser's copy: ours to keep
            if (exchange.controller) exchange.controller.enqueue(data);
            else if (exchange.chunks === NO_CHUNKS) exchange.chunks = [data];
            else exchange.chunks.push(data);
          },
          onEnd() {
            const exchange = conn.parsing as Exchange;
            exchange.complete = true;
            conn.parsing = null;
            connection.reportPartialInput(0); // the request deadline ends here, the next starts anew
            exchange.controller?.close();
            if (exchange.head.upgrade) {
              // What follows may be another protocol: keep it unparsed, and hold later input,
              // until the handler has answered (switchProtocols, or a plain answer: HTTP again).
              conn.parser.pause();
              connection.hold();
            }
          },
        },
        limits,
      ),
      queue: [],
      parsing: null,
      active: false,
      responding: false,
      held: false,
      peerEnded: false,
      pendingError: null,
      takenOver: null,
      urlTarget: "",
      urlHost: "",
      url: "",
      lastMethod: "",
      lastUrl: "",
      lastFields: NO_FIELDS,
      template: null,
    };
    return conn;
  }

  function onData(c: Conn, chunk: Uint8Array): void {
    if (c.pendingError || c.connection.isClosed) return;
    try {
      c.parser.push(chunk);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      onParseError(c, error);
      return;
    }
    // framing runs the request deadline while we hold part of one, and counts it in the budget.
    const partial = c.parser.isInHead
      ? c.parser.bufferedHeadBytes
      : c.parsing
        ? Math.max(1, c.parsing.bodyBytes)
        : 0;
    c.connection.reportPartialInput(partial);
    if (!c.active && c.queue.length > 0) dispatch(c);
    updateHold(c);
  }

  /** Reading waits while too many requests are queued behind the one being answered. */
  function updateHold(c: Conn): void {
    if (c.parser.isPaused) return; // held for an upgrade until the handler answers
    const hold = c.queue.length > maxPipelined;
    if (hold === c.held) return;
    c.held = hold;
    if (hold) c.connection.hold();
    else c.connection.proceed();
  }

  function onParseError(c: Conn, error: HttpError): void {
    c.pendingError = error;
    const broken = c.parsing;
    c.parsing = null;
    c.connection.reportPartialInput(0);
    if (broken) {
      // The body of a parsed request went bad: its handler sees a failed stream, the peer the error
      // (respond() notices the exchange is gone and sends the error instead of the handler's reply).
      c.queue.splice(c.queue.indexOf(broken), 1);
      broken.controller?.error(error);
    }
    if (c.active) return; // answered after the requests before it, by finish() or respond()
    if (c.queue.length > 0) dispatch(c);
    else sendError(c, error);
  }

  /** The request deadline passed: 408 if nothing else is being answered, else just close. */
  function onRequestTimeout(c: Conn, cause: FramingError): string | undefined {
    const broken = c.parsing;
    c.parsing = null;
    const error = new HttpError("REQUEST_TIMEOUT", "request not received in time", 408);
    if (broken && !broken.complete) broken.controller?.error(error);
    const answerable = !c.active || (c.queue[0] === broken && !c.responding);
    c.queue.length = 0;
    c.active = false;
    log?.({
      level: "debug",
      event: "http.reject",
      code: error.code,
      status: 408,
      remote: c.connection.remoteAddress,
      detail: cause.message,
    });
    return answerable ? errorBytes(408, error.message) : undefined;
  }

  function sendError(c: Conn, error: HttpError): void {
    log?.({
      level: "debug",
      event: "http.reject",
      code: error.code,
      status: error.status,
      remote: c.connection.remoteAddress,
    });
    c.queue.length = 0;
    c.active = false;
    c.connection.close(errorBytes(error.status, error.message));
  }

  // --- dispatch -----------------------------------------------------------------------------

  function buildRequest(c: Conn, exchange: Exchange): Request {
    const { head } = exchange;
    let url = c.url;
    if (head.target !== c.urlTarget || head.host !== c.urlHost) {
      const secure = c.connection.secure;
      const scheme = secure ? "https" : "http";
      url =
        head.target.charCodeAt(0) === 47
          ? `${scheme}://${head.host || `${hostname}:${secure ? listener.tlsPort : listener.port}`}${head.target}`
          : head.target === "*"
            ? `${scheme}://${head.host || hostname}/*`
            : head.target;
      c.urlTarget = head.target;
      c.urlHost = head.host;
      c.url = url;
    }
    let body: Uint8Array | ReadableStream<Uint8Array> | null = null;
    if (head.method !== "GET" && head.method !== "HEAD" && head.body.kind !== "none") {
      if (exchange.complete) {
        body =
          exchange.chunks.length === 1
            ? (exchange.chunks[0] as Uint8Array)
            : Buffer.concat(exchange.chunks);
        exchange.chunks = NO_CHUNKS;
      } else {
        body = new ReadableStream<Uint8Array>(
          {
            start(controller) {
              for (const chunk of exchange.chunks) controller.enqueue(chunk);
              exchange.chunks = NO_CHUNKS;
              exchange.controller = controller;
            },
            pull() {
              // Expect: 100-continue is answered when the handler starts reading the body.
              if (exchange.head.expectContinue && !exchange.continueSent && !exchange.complete) {
                exchange.continueSent = true;
                void put(c, CONTINUE);
              }
            },
          },
          { highWaterMark: 0 },
        );
      }
    }
    if (body === null) {
      // A kept-alive client mostly repeats its request: a clone of one built before costs about
      // 140 ns in Bun 1.4.5, a new Request with its fields appended 200 ns and up.
      if (
        head.method === c.lastMethod &&
        url === c.lastUrl &&
        sameFields(head.headers, c.lastFields)
      ) {
        if (c.template === null) c.template = newRequest(url, head.method, null, head.headers);
        return c.template.clone() as Request; // typed as undici's Request by @types/bun
      }
      c.lastMethod = head.method;
      c.lastUrl = url;
      c.lastFields = head.headers;
      c.template = null;
    }
    return newRequest(url, head.method, body, head.headers);
  }

  function newRequest(
    url: string,
    method: string,
    body: Uint8Array | ReadableStream<Uint8Array> | null,
    fields: [string, string][],
  ): Request {
    // Headers appended to a fresh Request cost about half of a `headers` init (Bun 1.4.5), and a GET
    // without an init object skips the init dictionary altogether.
    const request =
      body === null
        ? method === "GET"
          ? new Request(url)
          : new Request(url, { method })
        : new Request(url, { method, body, duplex: "half" } as RequestInit);
    const headers = request.headers;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as [string, string];
      headers.append(field[0], field[1]);
    }
    return request;
  }

  function dispatch(c: Conn): void {
    const exchange = c.queue[0] as Exchange;
    c.active = true;
    c.responding = false;
    c.connection.setIdleTimeout(0); // a long poll or a stream may leave the client silent
    let request: Request;
    try {
      request = buildRequest(c, exchange);
    } catch {
      // e.g. a Host value that makes no valid URL
      sendError(c, new HttpError("BAD_REQUEST_LINE", "request target and Host make no valid URL"));
      return;
    }
    let result: Response | Promise<Response>;
    try {
      result = fetchHandler(request, c.client);
    } catch (error) {
      onHandlerError(c, exchange, error);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => safely(c, () => respond(c, exchange, response)),
        (error) => safely(c, () => onHandlerError(c, exchange, error)),
      );
    } else {
      respond(c, exchange, result);
    }
  }

  /** Runs a step outside the socket callbacks; a bug there closes this connection, not the process. */
  function safely(c: Conn, step: () => void): void {
    try {
      step();
    } catch (error) {
      log?.({
        level: "error",
        event: "http.internal_error",
        error: error instanceof Error ? error.message : String(error),
      });
      c.queue.length = 0;
      c.active = false;
      c.connection.close();
    }
  }

  function onHandlerError(c: Conn, exchange: Exchange, error: unknown): void {
    log?.({
      level: "error",
      event: "http.handler_error",
      method: exchange.head.method,
      target: exchange.head.target,
      error: error instanceof Error ? error.message : String(error),
    });
    respond(
      c,
      exchange,
      new Response("Internal Server Error\n", {
        status: 500,
        headers: { "content-type": "text/plain; charset=utf-8" },
      }),
    );
  }

  function respond(c: Conn, exchange: Exchange, response: unknown): void {
    if (c.connection.isClosed || c.queue[0] !== exchange) {
      if (response instanceof Response) void response.body?.cancel().catch(() => {});
      // The request's body failed to parse meanwhile; the peer gets the parse error instead.
      if (!c.connection.isClosed && c.active) {
        c.active = false;
        const error = c.pendingError;
        c.pendingError = null;
        if (error) sendError(c, error);
        else c.connection.close();
      }
      return;
    }
    if (!(response instanceof Response)) {
      onHandlerError(c, exchange, new TypeError("the fetch handler did not return a Response"));
      return;
    }
    // switchProtocols answers are 101s: other responses skip the WeakMap.
    const status = response.status;
    const switching = status === 101 ? switchOf(response) : undefined;
    if (switching) {
      if (c.parser.isPaused && c.queue.length === 1) takeOver(c, switching);
      else {
        onHandlerError(
          c,
          exchange,
          new TypeError("switchProtocols answers only a request that asked to upgrade"),
        );
      }
      return;
    }
    // A body the handler left unread would have to be drained; closing is simpler and safe.
    const keepAlive = exchange.head.keepAlive && exchange.complete && !c.peerEnded;
    const http10 = exchange.head.versionMinor === 0;
    c.responding = true;
    let sent: boolean | Promise<boolean>;
    try {
      sent = sendResponse(c, response, {
        status,
        statusText: response.statusText,
        headOnly: exchange.head.method === "HEAD",
        http10,
        connection: keepAlive ? (http10 ? "keep-alive" : null) : "close",
        date: clock.value,
      });
    } catch (error) {
      onStreamError(c, error);
      return;
    }
    if (sent instanceof Promise) {
      sent.then(
        (reusable) => safely(c, () => finish(c, reusable)),
        (error) => onStreamError(c, error),
      );
    } else {
      finish(c, sent);
    }
  }

  function onStreamError(c: Conn, error: unknown): void {
    log?.({
      level: "error",
      event: "http.body_error",
      error: error instanceof Error ? error.message : String(error),
    });
    c.queue.length = 0;
    c.active = false;
    c.connection.close();
  }

  /** Writes the switching head and hands the connection (and any bytes after the request) over. */
  function takeOver(c: Conn, switching: NonNullable<ReturnType<typeof switchOf>>): void {
    c.queue.length = 0;
    c.active = false;
    c.responding = false;
    const rest = c.parser.takeRest();
    c.connection.setIdleTimeout(0); // the new protocol keeps its own time
    c.connection.sendBytes(switching.head);
    const takeover = switching.start(c.connection);
    c.takenOver = takeover;
    if (rest.length > 0) takeover.onData(rest);
    c.connection.proceed(); // input held since the request ended goes to the takeover
  }

  /** The response to queue[0] is written: move on to the next pipelined request, or idle. */
  function finish(c: Conn, reusable: boolean): void {
    if (c.connection.isClosed) return;
    c.queue.shift();
    c.active = false;
    c.responding = false;
    if (!reusable) {
      c.queue.length = 0;
      c.connection.close();
      return;
    }
    if (c.parser.isPaused) {
      // An upgrade was asked for and answered in HTTP: parse what followed it as HTTP again.
      c.parser.resume();
      const rest = c.parser.takeRest();
      if (rest.length > 0) onData(c, rest);
      if (c.connection.isClosed) return;
      if (!c.held) c.connection.proceed();
      if (c.active) return;
    }
    if (c.queue.length > 0) {
      dispatch(c);
    } else if (c.pendingError) {
      sendError(c, c.pendingError);
      return;
    } else if (c.peerEnded) {
      c.connection.close();
      return;
    } else if (c.parsing === null && !c.parser.isInHead) {
      c.connection.setIdleTimeout(keepAliveTimeoutMs);
    }
    updateHold(c);
  }

  // --- listener -----------------------------------------------------------------------------

  const listener = listen<Uint8Array, Uint8Array | string>({
    hostname,
    port: options.port ?? HTTP_DEFAULTS.port,
    protocol: bytes(),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(log ? { log } : {}),
    maxConnections: setting("maxConnections"),
    maxConnectionsPerAddress:
      options.maxConnectionsPerAddress ?? HTTP_DEFAULTS.maxConnectionsPerAddress,
    ...(options.maxBufferedInputBytes !== undefined
      ? { maxBufferedInputBytes: options.maxBufferedInputBytes }
      : {}),
    maxQueuedBytes,
    sendTimeoutMs: options.sendTimeoutMs ?? HTTP_DEFAULTS.sendTimeoutMs,
    idleTimeoutMs: keepAliveTimeoutMs, // the wait for the first request
    messageTimeoutMs: setting("requestTimeoutMs"),
    minInputBytesPerSecond: setting("minRequestBytesPerSecond"),
    rejectMessage: (refusal) =>
      errorBytes(
        503,
        refusal.reason === "per-address cap"
          ? "too many connections from your address"
          : "too many connections",
      ),
    onConnection(connection) {
      conns.set(connection, createConn(connection));
    },
    onMessage(connection, chunk) {
      const c = conns.get(connection);
      if (!c) return;
      if (c.takenOver) c.takenOver.onData(chunk);
      else onData(c, chunk);
    },
    onEnd(connection) {
      const c = conns.get(connection);
      if (!c) return;
      if (c.takenOver) {
        c.takenOver.onEnd?.();
        return;
      }
      c.peerEnded = true;
      c.parsing?.controller?.error(new Error("connection closed mid-body"));
      // A half-closed peer still gets its answers: the close waits for finish().
      if (c.active || c.queue.length > 0) connection.hold();
    },
    onMessageTimeout(connection, error) {
      const c = conns.get(connection);
      // A taken-over connection's deadline is its protocol's: no HTTP 408 on it.
      return c && !c.takenOver ? onRequestTimeout(c, error) : undefined;
    },
    onClose(connection, error) {
      const c = conns.get(connection);
      if (!c) return;
      conns.delete(connection);
      c.takenOver?.onClose?.(error);
      for (const exchange of c.queue) {
        if (!exchange.complete) {
          try {
            exchange.controller?.error(new Error("connection closed"));
          } catch {}
        }
      }
    },
  });

  // Date has one-second resolution; one unref'd tick keeps it fresh for every response.
  const ticker = setInterval(() => clock.refresh(Date.now()), 1000);
  ticker.unref();

  log?.({ event: "http.listen", hostname, port: listener.port, tlsPort: listener.tlsPort });

  return {
    hostname,
    port: listener.port,
    tlsPort: listener.tlsPort,
    get connectionCount() {
      return conns.size;
    },
    reloadTls(credentials) {
      listener.reloadTls(credentials);
    },
    async stop(closeActive = true) {
      clearInterval(ticker);
      await listener.stop(closeActive);
    },
  };
}
