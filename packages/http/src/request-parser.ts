// Incremental HTTP/1.x request parser (RFC 9112 §2–§7): bytes in, head/body/end callbacks out, no I/O.
import { ChunkedDecoder } from "./chunked.ts";
import { HTTP_DEFAULTS } from "./defaults.ts";
import { HttpError } from "./errors.ts";
import { asBuffer, FIELD_LINE, latin1 } from "./text.ts";

/** Where the parser is in the current request (`done` after a thrown HttpError). */
export type ParserPhase = "start-line" | "headers" | "body" | "done";

/** How the request's body is delimited (RFC 9112 §6.3): none, a Content-Length, or chunked. */
export type RequestBodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" };

/** A parsed request line and header section, handed to `onHead`. */
export interface RequestHead {
  /** As sent (case-sensitive, RFC 9110 §9.1): `GET`, `POST`, … */
  method: string;
  /** The request-target as sent: origin-form `/p?q`, absolute-form `http://h/p`, or `*`. */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 (a higher 1.x minor is treated as 1.1, RFC 9110 §2.5). */
  versionMinor: 0 | 1;
  /** Field lines in arrival order, names as sent; repeated names stay separate entries. */
  headers: [string, string][];
  /** The Host field value ("" if absent, allowed only in HTTP/1.0). */
  host: string;
  /** Whether the connection may carry another request after this one. */
  keepAlive: boolean;
  /** The request carries `Expect: 100-continue`: the client waits for a 100 before the body. */
  expectContinue: boolean;
  /** How the body that follows this head is delimited. */
  body: RequestBodyFraming;
}

/** Where the parser delivers each request, in order: one head, its body in pieces, then its end. */
export interface ParserHandlers {
  /** A request's head is complete (its body, if any, follows in `onBody` calls). */
  onHead(head: RequestHead): void;
  /** A view into the pushed chunk, valid only during the call: copy what you keep. */
  onBody(data: Uint8Array): void;
  /** The body (possibly empty) of the last head is complete. */
  onEnd(): void;
}

/** Bounds on one request; each left out comes from `HTTP_DEFAULTS`. */
export interface ParserLimits {
  /** @default 16384 */
  maxHeaderBytes?: number;
  /** @default 100 */
  maxHeaderCount?: number;
  /** @default 1048576 */
  maxBodyBytes?: number;
}

const CR = 13;
const LF = 10;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/(\d)\.(\d)$/;
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]+/i;
const CONTENT_LENGTH = /^\d{1,15}$/; // 15 digits stay below 2^53; longer cannot pass the limit anyway

/**
 * Parses a stream of requests (pipelining included). After a thrown HttpError the parser is
 * `done` and the connection must be answered with `error.status` and closed.
 */
export class RequestParser {
  #phase: ParserPhase = "start-line";
  #carry: Buffer | null = null; // unfinished head line from an earlier chunk
  #headBytes = 0;
  #head: RequestHead | null = null;
  #contentLength = -1;
  #contentLengthRaw: string | null = null;
  #transferEncoding: string | null = null;
  #hostCount = 0;
  #connection = "";
  #remaining = 0;
  #chunked: ChunkedDecoder | null = null;
  /** pause() was called: push() stops after the current request and keeps what follows. */
  #paused = false;
  #rest: Uint8Array = new Uint8Array(0);
  readonly maxHeaderBytes: number;
  readonly maxHeaderCount: number;
  readonly maxBodyBytes: number;

  constructor(
    readonly handlers: ParserHandlers,
    limits: ParserLimits = {},
  ) {
    this.maxHeaderBytes = limits.maxHeaderBytes ?? HTTP_DEFAULTS.maxHeaderBytes;
    this.maxHeaderCount = limits.maxHeaderCount ?? HTTP_DEFAULTS.maxHeaderCount;
    this.maxBodyBytes = limits.maxBodyBytes ?? HTTP_DEFAULTS.maxBodyBytes;
  }

  get phase(): ParserPhase {
    return this.#phase;
  }

  /** True while part of a request head has arrived but not all of it (the slowloris window). */
  get isInHead(): boolean {
    return (this.#phase === "start-line" && this.#carry !== null) || this.#phase === "headers";
  }

  /** Bytes of an incomplete request head received so far (0 between requests and in a body). */
  get bufferedHeadBytes(): number {
    return this.isInHead ? this.#headBytes + (this.#carry?.length ?? 0) : 0;
  }

  /**
   * Stops parsing at the end of the current request (call it from `onEnd`): the bytes after it are
   * not parsed as HTTP but kept for `takeRest()`, e.g. the first frames of a protocol upgrade.
   * Later pushes are ignored until `resume()`.
   */
  pause(): void {
    this.#paused = true;
  }

  get isPaused(): boolean {
    return this.#paused;
  }

  /** The bytes that followed the request `pause()` was called in (a copy; empty if none). */
  takeRest(): Uint8Array {
    const rest = this.#rest;
    this.#rest = new Uint8Array(0);
    return rest;
  }

  /** Parses again after `pause()` (the upgrade did not happen); push the `takeRest()` bytes first. */
  resume(): void {
    this.#paused = false;
  }

  push(chunk: Uint8Array): void {
    if (this.#phase === "done" || this.#paused) return;
    let buf = asBuffer(chunk);
    if (this.#carry) {
      buf = Buffer.concat([this.#carry, buf]);
      this.#carry = null;
    }
    let pos = 0;
    try {
      while (pos < buf.length && !this.#paused) {
        if (this.#phase === "body") {
          pos = this.#chunked ? this.#pushChunked(buf, pos) : this.#pushLength(buf, pos);
        } else {
          const lf = buf.indexOf(LF, pos);
          if (lf < 0) {
            this.#carryRest(buf, pos);
            return;
          }
          this.#headBytes += lf + 1 - pos;
          if (this.#headBytes > this.maxHeaderBytes) {
            throw new HttpError("HEADERS_TOO_LARGE", "request head too large", 431);
          }
          if (lf === pos || buf[lf - 1] !== CR) {
            throw new HttpError("BAD_LINE_ENDING", "bare LF in request head");
          }
          const line = latin1(buf, pos, lf - 1);
          pos = lf + 1;
          if (this.#phase === "start-line") this.#onStartLine(line);
          else if (line === "") this.#onHeadEnd();
          else this.#onFieldLine(line);
        }
      }
      if (this.#paused && pos < buf.length) this.#rest = new Uint8Array(buf.subarray(pos));
    } catch (error) {
      this.#phase = "done";
      throw error;
    }
  }

  #carryRest(buf: Buffer, pos: number): void {
    const rest = buf.length - pos;
    if (this.#headBytes + rest > this.maxHeaderBytes) {
      throw new HttpError("HEADERS_TOO_LARGE", "request head too large", 431);
    }
    // A CR that is already followed by something other than LF is a bare CR: fail now, not at timeout.
    const cr = buf.indexOf(CR, pos);
    if (cr >= 0 && cr < buf.length - 1) {
      throw new HttpError("BAD_LINE_ENDING", "bare CR in request head");
    }
    this.#carry = Buffer.from(buf.subarray(pos));
  }

  #onStartLine(line: string): void {
    // RFC 9112 §2.2: ignore at least one empty line before the request-line (robustness).
    if (line === "") return;
    const match = REQUEST_LINE.exec(line);
    if (!match) throw new HttpError("BAD_REQUEST_LINE", "malformed request line");
    const [, method, target, major, minor] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    if (major !== "1") {
      throw new HttpError("BAD_VERSION", `HTTP/${major}.${minor} not supported`, 505);
    }
    if (method === "CONNECT") {
      throw new HttpError("UNSUPPORTED_METHOD", "CONNECT is not supported", 501);
    }
    const isOrigin = target.charCodeAt(0) === 47; // "/"
    if (!isOrigin && !ABSOLUTE_FORM.test(target) && !(target === "*" && method === "OPTIONS")) {
      throw new HttpError("BAD_REQUEST_LINE", "request-target is not origin-form or absolute-form");
    }
    this.#head = {
      method,
      target,
      versionMinor: minor === "0" ? 0 : 1,
      headers: [],
      host: "",
      keepAlive: minor !== "0",
      expectContinue: false,
      body: { kind: "none" },
    };
    this.#phase = "headers";
  }

  #onFieldLine(line: string): void {
    const head = this.#head as RequestHead;
    const first = line.charCodeAt(0);
    if (first === 32 || first === 9) {
      throw new HttpError("OBS_FOLD", "obsolete line folding in header");
    }
    const match = FIELD_LINE.exec(line);
    if (!match) throw new HttpError("BAD_HEADER", "malformed header field");
    if (head.headers.length >= this.maxHeaderCount) {
      throw new HttpError("TOO_MANY_HEADERS", "too many header fields", 431);
    }
    const name = match[1] as string;
    const value = match[2] as string;
    head.headers.push([name, value]);
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === "host") {
          head.host = value;
          this.#hostCount++;
        }
        break;
      case 6:
        if (name.toLowerCase() === "expect" && value.toLowerCase() === "100-continue") {
          head.expectContinue = true;
        }
        break;
      case 10:
        if (name.toLowerCase() === "connection") {
          this.#connection += `${this.#connection ? "," : ""}${value.toLowerCase()}`;
        }
        break;
      case 14:
        if (name.toLowerCase() === "content-length") {
          if (!CONTENT_LENGTH.test(value)) {
            throw new HttpError("BAD_CONTENT_LENGTH", "invalid Content-Length");
          }
          if (this.#contentLengthRaw !== null && Number(value) !== this.#contentLength) {
            throw new HttpError("CONFLICTING_LENGTH", "differing Content-Length values");
          }
          this.#contentLengthRaw = value;
          this.#contentLength = Number(value);
        }
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") {
          const previous = this.#transferEncoding;
          this.#transferEncoding = previous === null ? value : `${previous},${value}`;
        }
        break;
    }
  }

  #onHeadEnd(): void {
    const head = this.#head as RequestHead;
    if (head.versionMinor === 1 && this.#hostCount === 0) {
      throw new HttpError("MISSING_HOST", "HTTP/1.1 request without Host");
    }
    if (this.#hostCount > 1) throw new HttpError("BAD_HEADER", "more than one Host field");
    if (this.#connection !== "") {
      const tokens = this.#connection.split(",").map((t) => t.trim());
      if (tokens.includes("close")) head.keepAlive = false;
      else if (head.versionMinor === 0 && tokens.includes("keep-alive")) head.keepAlive = true;
    }
    if (this.#transferEncoding !== null) {
      // RFC 9112 §6.1/§6.3: TE + CL is a smuggling vector; chunked must be the final coding.
      if (this.#contentLengthRaw !== null) {
        throw new HttpError("CONFLICTING_LENGTH", "Content-Length with Transfer-Encoding");
      }
      if (head.versionMinor === 0) {
        throw new HttpError("BAD_HEADER", "Transfer-Encoding in an HTTP/1.0 request");
      }
      const codings = this.#transferEncoding.split(",").map((t) => t.trim().toLowerCase());
      const chunkedAt = codings.indexOf("chunked");
      if (codings.some((c) => c === "")) {
        throw new HttpError("BAD_HEADER", "empty transfer coding");
      }
      if (chunkedAt >= 0 && chunkedAt !== codings.length - 1) {
        throw new HttpError("CHUNKED_NOT_LAST", "chunked is not the final transfer coding");
      }
      if (codings.length !== 1 || chunkedAt !== 0) {
        throw new HttpError(
          "UNSUPPORTED_TRANSFER_CODING",
          `transfer coding ${codings.join(", ")} not implemented`,
          501,
        );
      }
      head.body = { kind: "chunked" };
      this.#chunked = new ChunkedDecoder({
        maxBodyBytes: this.maxBodyBytes,
        maxHeaderBytes: this.maxHeaderBytes,
        maxHeaderCount: this.maxHeaderCount,
      });
    } else if (this.#contentLength > 0) {
      if (this.#contentLength > this.maxBodyBytes) {
        throw new HttpError(
          "BODY_TOO_LARGE",
          `Content-Length ${this.#contentLength} over ${this.maxBodyBytes}`,
          413,
        );
      }
      head.body = { kind: "length", length: this.#contentLength };
      this.#remaining = this.#contentLength;
    }
    this.#reset();
    this.handlers.onHead(head);
    if (head.body.kind === "none") {
      this.handlers.onEnd();
    } else {
      this.#phase = "body";
    }
  }

  #reset(): void {
    this.#phase = "start-line";
    this.#headBytes = 0;
    this.#head = null;
    this.#contentLength = -1;
    this.#contentLengthRaw = null;
    this.#transferEncoding = null;
    this.#hostCount = 0;
    this.#connection = "";
  }

  #pushLength(buf: Buffer, pos: number): number {
    const n = Math.min(this.#remaining, buf.length - pos);
    this.handlers.onBody(buf.subarray(pos, pos + n));
    this.#remaining -= n;
    if (this.#remaining === 0) this.#bodyEnd();
    return pos + n;
  }

  #pushChunked(buf: Buffer, pos: number): number {
    const decoder = this.#chunked as ChunkedDecoder;
    const next = decoder.push(buf, pos, (data) => this.handlers.onBody(data));
    if (decoder.done) {
      this.#chunked = null;
      this.#bodyEnd();
    }
    return next;
  }

  #bodyEnd(): void {
    this.#phase = "start-line";
    this.handlers.onEnd();
  }
}
