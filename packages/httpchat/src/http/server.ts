// HTTP/1.1 transport on Bun.listen: parses requests, calls a Fetch handler, writes responses in order.
import type { Log } from "@netkit/framing";
import type { Socket, TCPSocketListener } from "bun";
import { HTTP_DEFAULTS } from "./defaults.ts";
import { HttpError } from "./errors.ts";
import { type RequestHead, RequestParser } from "./request-parser.ts";
import {
  DateClock,
  serializeErrorResponse,
  serializeHead,
  statusHasNoBody,
} from "./response-writer.ts";

/** The web-standard application interface: the TypeScript counterpart of WSGI. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

export interface ServeOptions {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** 0 lets the OS pick; read the bound port from the returned server. @default 8080 */
  port?: number;
  fetch: FetchHandler;
  /** @default 16384 */
  maxHeaderBytes?: number;
  /** @default 100 */
  maxHeaderCount?: number;
  /** @default 1048576 */
  maxBodyBytes?: number;
  /** @default 10000 */
  headersTimeoutMs?: number;
  /** @default 10000 */
  bodyIdleTimeoutMs?: number;
  /** @default 5000 */
  keepAliveTimeoutMs?: number;
  /** @default 10000 */
  maxConnections?: number;
  /** @default 1048576 */
  maxQueuedBytes?: number;
  /** @default 32 */
  maxPipelinedRequests?: number;
  log?: Log;
}

export interface HttpServer {
  readonly hostname: string;
  readonly port: number;
  /** Open connections right now. */
  readonly connectionCount: number;
  /** Stops accepting; with `closeActive` (default) also closes every open connection. */
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

type TimerKind = "none" | "head" | "body" | "idle";

interface Conn {
  parser: RequestParser;
  /** queue[0] is being handled when `active`; the rest were pipelined behind it. */
  queue: Exchange[];
  /** The exchange whose bytes the parser is reading now. */
  parsing: Exchange | null;
  active: boolean;
  out: Uint8Array[];
  outBytes: number;
  drainWaiters: (() => void)[];
  /** End the socket once the output queue is flushed; read nothing more. */
  closing: boolean;
  closed: boolean;
  paused: boolean;
  peerEnded: boolean;
  /** A parse error to answer once the requests before it are answered. */
  pendingError: HttpError | null;
  timer: TimerKind;
  deadlineMs: number;
}

type HttpSocket = Socket<Conn>;
/** The part of a default reader we use (Bun's types offer a BYOB overload that gets in the way). */
type ReadResult = { done: true; value?: undefined } | { done: false; value: Uint8Array };
interface BodyReader {
  read(): Promise<ReadResult>;
  cancel(reason?: unknown): Promise<void>;
}

const CONTINUE = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");
const CRLF = Buffer.from("\r\n", "latin1");
/** Response bodies read without waiting (string, bytes, Blob) up to this size get Content-Length. */

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer`);
  return value;
}

/** Starts an HTTP/1.1 server that answers every request with `fetch(request)`. */
export function serve(options: ServeOptions): HttpServer {
  const fetchHandler = options.fetch;
  if (typeof fetchHandler !== "function") throw new TypeError("fetch must be a function");
  const hostname = options.hostname ?? HTTP_DEFAULTS.hostname;
  const limits = {
    maxHeaderBytes: positiveInteger(
      "maxHeaderBytes",
      options.maxHeaderBytes ?? HTTP_DEFAULTS.maxHeaderBytes,
    ),
    maxHeaderCount: positiveInteger(
      "maxHeaderCount",
      options.maxHeaderCount ?? HTTP_DEFAULTS.maxHeaderCount,
    ),
    maxBodyBytes: positiveInteger(
      "maxBodyBytes",
      options.maxBodyBytes ?? HTTP_DEFAULTS.maxBodyBytes,
    ),
  };
  const headersTimeoutMs = positiveInteger(
    "headersTimeoutMs",
    options.headersTimeoutMs ?? HTTP_DEFAULTS.headersTimeoutMs,
  );
  const bodyIdleTimeoutMs = positiveInteger(
    "bodyIdleTimeoutMs",
    options.bodyIdleTimeoutMs ?? HTTP_DEFAULTS.bodyIdleTimeoutMs,
  );
  const keepAliveTimeoutMs = positiveInteger(
    "keepAliveTimeoutMs",
    options.keepAliveTimeoutMs ?? HTTP_DEFAULTS.keepAliveTimeoutMs,
  );
  const maxConnections = positiveInteger(
    "maxConnections",
    options.maxConnections ?? HTTP_DEFAULTS.maxConnections,
  );
  const maxQueuedBytes = positiveInteger(
    "maxQueuedBytes",
    options.maxQueuedBytes ?? HTTP_DEFAULTS.maxQueuedBytes,
  );
  const maxPipelined = positiveInteger(
    "maxPipelinedRequests",
    options.maxPipelinedRequests ?? HTTP_DEFAULTS.maxPipelinedRequests,
  );
  const log = options.log;
  const clock = new DateClock();
  const sockets = new Set<HttpSocket>();
  let nowMs = Date.now();

  // --- output -------------------------------------------------------------------------------

  function flush(s: HttpSocket): void {
    const c = s.data;
    while (c.out.length > 0) {
      const head = c.out[0] as Uint8Array;
      const written = s.write(head);
      if (written < 0) return;
      c.outBytes -= written;
      if (written < head.length) {
        c.out[0] = head.subarray(written);
        return;
      }
      c.out.shift();
    }
    for (const wake of c.drainWaiters.splice(0)) wake();
    if (c.closing) s.end();
    else if (c.paused && c.queue.length <= maxPipelined) {
      c.paused = false;
      s.resume();
    }
  }

  function send(s: HttpSocket, bytes: Uint8Array): void {
    const c = s.data;
    if (c.closed) return;
    if (c.outBytes === 0) {
      const written = s.write(bytes);
      if (written < 0 || written === bytes.length) return;
      bytes = bytes.subarray(written);
    }
    c.out.push(bytes);
    c.outBytes += bytes.length;
    if (c.outBytes > maxQueuedBytes && !c.paused) {
      c.paused = true; // a slow reader: stop parsing its requests until it catches up
      s.pause();
    }
  }

  function waitForDrain(s: HttpSocket): Promise<void> {
    return new Promise((resolve) => s.data.drainWaiters.push(resolve));
  }

  /** Flushes what is queued, then closes. */
  function closeAfterFlush(s: HttpSocket): void {
    const c = s.data;
    c.closing = true;
    c.timer = "none";
    if (c.outBytes === 0) s.end();
  }

  function sendError(s: HttpSocket, error: HttpError): void {
    log?.({
      level: "debug",
      event: "http.reject",
      code: error.code,
      status: error.status,
      remote: s.remoteAddress,
    });
    send(
      s,
      Buffer.from(serializeErrorResponse(error.status, error.message, clock.value), "latin1"),
    );
    closeAfterFlush(s);
  }

  // --- input --------------------------------------------------------------------------------

  function createConn(): Conn {
    const conn: Conn = {
      parser: new RequestParser(
        {
          onHead(head) {
            const exchange: Exchange = {
              head,
              chunks: [],
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
            const copy = data.slice();
            exchange.bodyBytes += copy.length;
            if (exchange.controller) exchange.controller.enqueue(copy);
            else exchange.chunks.push(copy);
          },
          onEnd() {
            const exchange = conn.parsing as Exchange;
            exchange.complete = true;
            conn.parsing = null;
            exchange.controller?.close();
          },
        },
        limits,
      ),
      queue: [],
      parsing: null,
      active: false,
      out: [],
      outBytes: 0,
      drainWaiters: [],
      closing: false,
      closed: false,
      paused: false,
      peerEnded: false,
      pendingError: null,
      timer: "head",
      deadlineMs: nowMs + headersTimeoutMs,
    };
    return conn;
  }

  function onData(s: HttpSocket, chunk: Uint8Array): void {
    const c = s.data;
    if (c.closing || c.pendingError) return;
    try {
      c.parser.push(chunk);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      onParseError(s, error);
      return;
    }
    if (c.parser.isInHead) {
      if (c.timer !== "head") {
        c.timer = "head";
        c.deadlineMs = nowMs + headersTimeoutMs;
      }
    } else if (c.parser.phase === "body") {
      c.timer = "body"; // re-armed by every chunk: only a stalled body times out
      c.deadlineMs = nowMs + bodyIdleTimeoutMs;
    } else {
      c.timer = "none";
    }
    if (!c.active && c.queue.length > 0) dispatch(s);
    if (c.queue.length > maxPipelined && !c.paused && !c.closed) {
      c.paused = true;
      s.pause();
    }
  }

  function onParseError(s: HttpSocket, error: HttpError): void {
    const c = s.data;
    c.timer = "none";
    c.pendingError = error;
    const broken = c.parsing;
    c.parsing = null;
    if (broken) {
      // The body of a parsed request went bad: its handler sees a failed stream, the peer the error
      // (respond() notices the exchange is gone and sends the error instead of the handler's reply).
      c.queue.splice(c.queue.indexOf(broken), 1);
      broken.controller?.error(error);
    }
    if (c.active) return; // answered after the requests before it, by finish() or respond()
    if (c.queue.length > 0) dispatch(s);
    else sendError(s, error);
  }

  // --- dispatch -----------------------------------------------------------------------------

  function buildRequest(s: HttpSocket, exchange: Exchange): Request {
    const { head } = exchange;
    const url =
      head.target.charCodeAt(0) === 47
        ? `http://${head.host || `${hostname}:${server.port}`}${head.target}`
        : head.target === "*"
          ? `http://${head.host || hostname}/*`
          : head.target;
    let body: Uint8Array | ReadableStream<Uint8Array> | null = null;
    if (head.method !== "GET" && head.method !== "HEAD" && head.body.kind !== "none") {
      if (exchange.complete) {
        body =
          exchange.chunks.length === 1
            ? (exchange.chunks[0] as Uint8Array)
            : Buffer.concat(exchange.chunks);
        exchange.chunks = [];
      } else {
        body = new ReadableStream<Uint8Array>(
          {
            start(controller) {
              for (const chunk of exchange.chunks) controller.enqueue(chunk);
              exchange.chunks = [];
              exchange.controller = controller;
            },
            pull() {
              // Expect: 100-continue is answered when the handler starts reading the body.
              if (exchange.head.expectContinue && !exchange.continueSent && !exchange.complete) {
                exchange.continueSent = true;
                send(s, CONTINUE);
              }
            },
          },
          { highWaterMark: 0 },
        );
      }
    }
    // Headers appended to a fresh Request cost about half of a `headers` init (Bun 1.4.5), and a GET
    // without an init object skips the init dictionary altogether.
    const request =
      body === null
        ? head.method === "GET"
          ? new Request(url)
          : new Request(url, { method: head.method })
        : new Request(url, { method: head.method, body, duplex: "half" } as RequestInit);
    const headers = request.headers;
    for (const field of head.headers) headers.append(field[0], field[1]);
    return request;
  }

  function dispatch(s: HttpSocket): void {
    const c = s.data;
    const exchange = c.queue[0] as Exchange;
    c.active = true;
    let request: Request;
    try {
      request = buildRequest(s, exchange);
    } catch {
      // e.g. a Host value that makes no valid URL
      respondError(
        s,
        new HttpError("BAD_REQUEST_LINE", "request target and Host make no valid URL"),
      );
      return;
    }
    let result: Response | Promise<Response>;
    try {
      result = fetchHandler(request);
    } catch (error) {
      onHandlerError(s, exchange, error);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => safely(s, () => respond(s, exchange, response)),
        (error) => safely(s, () => onHandlerError(s, exchange, error)),
      );
    } else {
      respond(s, exchange, result);
    }
  }

  /** Runs a step outside the socket callbacks; a bug there closes this connection, not the process. */
  function safely(s: HttpSocket, step: () => void): void {
    try {
      step();
    } catch (error) {
      log?.({
        level: "error",
        event: "http.internal_error",
        error: error instanceof Error ? error.message : String(error),
      });
      s.data.queue.length = 0;
      s.data.active = false;
      if (!s.data.closed) s.end();
    }
  }

  function respondError(s: HttpSocket, error: HttpError): void {
    const c = s.data;
    c.queue.length = 0;
    c.active = false;
    sendError(s, error);
  }

  function onHandlerError(s: HttpSocket, exchange: Exchange, error: unknown): void {
    log?.({
      level: "error",
      event: "http.handler_error",
      method: exchange.head.method,
      target: exchange.head.target,
      error: error instanceof Error ? error.message : String(error),
    });
    respond(
      s,
      exchange,
      new Response("Internal Server Error\n", {
        status: 500,
        headers: { "content-type": "text/plain; charset=utf-8" },
      }),
    );
  }

  function respond(s: HttpSocket, exchange: Exchange, response: unknown): void {
    const c = s.data;
    if (c.closed) {
      if (response instanceof Response) void response.body?.cancel().catch(() => {});
      return;
    }
    if (c.queue[0] !== exchange) {
      // The request's body failed to parse meanwhile; the peer gets the parse error instead.
      if (response instanceof Response) void response.body?.cancel().catch(() => {});
      if (c.active) {
        c.active = false;
        const error = c.pendingError;
        c.pendingError = null;
        if (error) sendError(s, error);
        else closeAfterFlush(s);
      }
      return;
    }
    if (!(response instanceof Response)) {
      onHandlerError(s, exchange, new TypeError("the fetch handler did not return a Response"));
      return;
    }
    // A body the handler left unread would have to be drained; closing is simpler and safe.
    const keepAlive = exchange.head.keepAlive && exchange.complete && !c.peerEnded;
    const connection = keepAlive
      ? exchange.head.versionMinor === 0
        ? "keep-alive"
        : null
      : "close";
    const omitBody = exchange.head.method === "HEAD" || statusHasNoBody(response.status);
    const body = response.body;
    if (body === null) {
      writeHead(s, response, statusHasNoBody(response.status) ? "none" : 0, connection, null);
      finish(s, keepAlive);
      return;
    }
    const reader = body.getReader() as unknown as BodyReader;
    const first = reader.read();
    // Bodies made from strings, bytes or Blobs resolve at once: send them with Content-Length.
    if (Bun.peek.status(first) === "fulfilled") {
      const step = Bun.peek(first) as ReadResult;
      if (step.done) {
        writeHead(s, response, statusHasNoBody(response.status) ? "none" : 0, connection, null);
        finish(s, keepAlive);
        return;
      }
      const second = reader.read();
      second.then(
        (next) =>
          safely(s, () => {
            if (c.closed) return void reader.cancel().catch(() => {});
            if (next.done) {
              writeHead(
                s,
                response,
                omitBody && statusHasNoBody(response.status) ? "none" : step.value.length,
                connection,
                omitBody ? null : step.value,
              );
              finish(s, keepAlive);
            } else {
              void streamBody(
                s,
                response,
                reader,
                [step.value, next.value],
                connection,
                omitBody,
              ).then((ok) => safely(s, () => finish(s, keepAlive && ok)));
            }
          }),
        (error) => onStreamError(s, error),
      );
      return;
    }
    void streamBody(s, response, reader, [], connection, omitBody, first).then((ok) =>
      safely(s, () => finish(s, keepAlive && ok)),
    );
  }

  function writeHead(
    s: HttpSocket,
    response: Response,
    framing: number | "chunked" | "close-delimited" | "none",
    connection: "close" | "keep-alive" | null,
    body: Uint8Array | null,
  ): void {
    const head = serializeHead({
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      date: clock.value,
      framing,
      connection,
    });
    const bodyBytes = body?.length ?? 0;
    const out = Buffer.allocUnsafe(head.length + bodyBytes);
    out.write(head, 0, "latin1");
    if (body) out.set(body, head.length);
    send(s, out);
  }

  /** Sends a body that is not all there yet: chunked to HTTP/1.1, close-delimited to HTTP/1.0. */
  async function streamBody(
    s: HttpSocket,
    response: Response,
    reader: BodyReader,
    firstChunks: Uint8Array[],
    connection: "close" | "keep-alive" | null,
    omitBody: boolean,
    pending?: Promise<ReadResult>,
  ): Promise<boolean> {
    const c = s.data;
    const exchange = c.queue[0] as Exchange;
    const isHttp10 = exchange.head.versionMinor === 0;
    if (omitBody) {
      void reader.cancel().catch(() => {});
      writeHead(s, response, "none", connection, null);
      return true;
    }
    let next = pending ?? reader.read();
    try {
      writeHead(
        s,
        response,
        isHttp10 ? "close-delimited" : "chunked",
        isHttp10 ? "close" : connection,
        null,
      );
      for (const chunk of firstChunks) writeChunk(s, chunk, isHttp10);
      for (;;) {
        const step = await next;
        if (c.closed) {
          void reader.cancel().catch(() => {});
          return false;
        }
        if (step.done) break;
        writeChunk(s, step.value, isHttp10);
        if (c.outBytes > maxQueuedBytes) await waitForDrain(s);
        next = reader.read();
      }
    } catch (error) {
      onStreamError(s, error);
      return false;
    }
    if (!isHttp10) send(s, LAST_CHUNK);
    return !isHttp10;
  }

  function writeChunk(s: HttpSocket, chunk: Uint8Array, raw: boolean): void {
    if (chunk.length === 0) return;
    if (raw) {
      send(s, chunk);
      return;
    }
    const sizeLine = `${chunk.length.toString(16)}\r\n`;
    const out = Buffer.allocUnsafe(sizeLine.length + chunk.length + 2);
    out.write(sizeLine, 0, "latin1");
    out.set(chunk, sizeLine.length);
    out.set(CRLF, sizeLine.length + chunk.length);
    send(s, out);
  }

  function onStreamError(s: HttpSocket, error: unknown): void {
    // Mid-body there is no way to tell the peer except closing without the final chunk.
    log?.({
      level: "error",
      event: "http.body_error",
      error: error instanceof Error ? error.message : String(error),
    });
    s.data.queue.length = 0;
    s.data.active = false;
    closeAfterFlush(s);
  }

  /** The response to queue[0] is written: move on to the next pipelined request, or idle. */
  function finish(s: HttpSocket, keepAlive: boolean): void {
    const c = s.data;
    if (c.closed || c.closing) return;
    c.queue.shift();
    c.active = false;
    if (!keepAlive) {
      c.queue.length = 0;
      closeAfterFlush(s);
      return;
    }
    if (c.paused && c.queue.length <= maxPipelined && c.outBytes <= maxQueuedBytes) {
      c.paused = false;
      s.resume();
    }
    if (c.queue.length > 0) {
      dispatch(s);
      return;
    }
    if (c.pendingError) {
      sendError(s, c.pendingError);
      return;
    }
    if (c.peerEnded) {
      closeAfterFlush(s);
      return;
    }
    if (!c.parser.isInHead && c.parsing === null) {
      c.timer = "idle";
      c.deadlineMs = nowMs + keepAliveTimeoutMs;
    }
  }

  // --- listener -----------------------------------------------------------------------------

  const listener: TCPSocketListener<Conn> = Bun.listen<Conn>({
    hostname,
    port: options.port ?? HTTP_DEFAULTS.port,
    allowHalfOpen: true,
    socket: {
      open(s) {
        if (sockets.size >= maxConnections) {
          log?.({ level: "warn", event: "http.conn_rejected", reason: "maxConnections" });
          s.end(serializeErrorResponse(503, "too many connections", clock.value));
          return;
        }
        s.data = createConn();
        sockets.add(s);
        s.setNoDelay(true);
      },
      data(s, chunk) {
        if (!s.data) return;
        onData(s, chunk);
      },
      drain(s) {
        if (s.data) flush(s);
      },
      end(s) {
        const c = s.data;
        if (!c) return;
        c.peerEnded = true;
        if (c.parsing?.controller) {
          c.parsing.controller.error(new Error("connection closed mid-body"));
        }
        if (!c.active && c.queue.length === 0) closeAfterFlush(s);
      },
      close(s) {
        const c = s.data;
        if (!c) return;
        c.closed = true;
        sockets.delete(s);
        for (const exchange of c.queue) {
          if (!exchange.complete) {
            try {
              exchange.controller?.error(new Error("connection closed"));
            } catch {}
          }
        }
        for (const wake of c.drainWaiters.splice(0)) wake();
      },
      error(s, error) {
        log?.({ level: "debug", event: "http.socket_error", error: error.message });
        s.end();
      },
    },
  });

  const tickMs = Math.max(
    10,
    Math.min(
      1000,
      Math.floor(Math.min(headersTimeoutMs, bodyIdleTimeoutMs, keepAliveTimeoutMs) / 4),
    ),
  );
  const ticker = setInterval(() => {
    nowMs = Date.now();
    clock.refresh(nowMs);
    for (const s of sockets) {
      const c = s.data;
      if (c.timer === "none" || nowMs < c.deadlineMs) continue;
      if (c.timer === "head") {
        sendError(s, new HttpError("HEADERS_TIMEOUT", "request head not received in time", 408));
      } else if (c.timer === "body") {
        onParseError(s, new HttpError("BODY_TIMEOUT", "request body stalled", 408));
      } else {
        c.timer = "none";
        closeAfterFlush(s);
      }
    }
  }, tickMs);

  log?.({ event: "http.listen", hostname, port: listener.port });

  const server: HttpServer = {
    hostname,
    get port() {
      return listener.port;
    },
    get connectionCount() {
      return sockets.size;
    },
    async stop(closeActive = true) {
      listener.stop(false);
      if (closeActive) {
        for (const s of sockets) {
          s.data.closing = true;
          s.end();
        }
      }
      clearInterval(ticker);
    },
  };
  return server;
}
