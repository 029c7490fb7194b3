// Incremental HTTP/1.x request parser (RFC 9112 §2–§7): bytes in, head/body/end callbacks out, no I/O.
import { ChunkedDecoder } from "./chunked.ts";
import { HTTP_DEFAULTS } from "./defaults.ts";
import { HttpError } from "./errors.ts";
import { latin1 } from "./text.ts";

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
  /**
   * The request asks to leave HTTP after it (RFC 9110 §7.8): HTTP/1.1, no body, an Upgrade field
   * and `upgrade` among the Connection options. The parser stops at its end only if paused.
   */
  upgrade: boolean;
  /** How the body that follows this head is delimited. */
  body: RequestBodyFraming;
}

/** Where the parser delivers each request, in order: one head, its body in pieces, then its end. */
export interface ParserHandlers {
  /** A request's head is complete (its body, if any, follows in `onBody` calls). */
  onHead(head: RequestHead): void;
  /**
   * Body bytes, a copy the handler may keep. (A view would be no cheaper: a subarray of a fresh
   * socket Uint8Array makes JSC allocate its ArrayBuffer first.)
   */
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
const SP = 32;
const HTAB = 9;
const COLON = 58;
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]+/i;
const CONTENT_LENGTH = /^\d{1,15}$/; // 15 digits stay below 2^53; longer cannot pass the limit anyway

/** tchar (RFC 9110 §5.6.2): the bytes of a method or a field name. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}
/** field-value bytes (RFC 9112 §5): HTAB, SP, visible ASCII, obs-text; never CR, LF, NUL, controls. */
const FIELD_VALUE = new Uint8Array(256);
FIELD_VALUE[HTAB] = 1;
FIELD_VALUE.fill(1, 0x20, 0x7f);
FIELD_VALUE.fill(1, 0x80, 0x100);

/** The fields the parser acts on, told apart without lower-casing each name. */
const Field = {
  other: 0,
  host: 1,
  expect: 2,
  connection: 3,
  contentLength: 4,
  transferEncoding: 5,
  upgrade: 6,
} as const;
type FieldKind = (typeof Field)[keyof typeof Field];
const FIELD_NAMES: [string, FieldKind][] = [
  ["host", Field.host],
  ["expect", Field.expect],
  ["connection", Field.connection],
  ["content-length", Field.contentLength],
  ["transfer-encoding", Field.transferEncoding],
  ["upgrade", Field.upgrade],
];

/** Which of the fields above a name (tchar bytes) is, case-insensitively. */
function kindOf(buf: Uint8Array, start: number, end: number): FieldKind {
  const length = end - start;
  for (const [lower, kind] of FIELD_NAMES) {
    if (lower.length !== length) continue;
    let same = true;
    // | 0x20 lower-cases a letter; no other tchar becomes a letter by it.
    for (let i = 0; i < length && same; i++)
      same = ((buf[start + i] as number) | 0x20) === lower.charCodeAt(i);
    if (same) return kind;
  }
  return Field.other;
}

/**
 * The next LF from `from`, or -1. Head lines are short: a loop the JIT inlines finds most before
 * a native indexOf call would have started; long ones (cookies) go on with indexOf.
 */
function indexOfLF(buf: Uint8Array, from: number): number {
  const stop = Math.min(buf.length, from + 64);
  for (let i = from; i < stop; i++) if (buf[i] === LF) return i;
  return stop === buf.length ? -1 : buf.indexOf(LF, stop);
}

/** The string holds exactly these bytes (latin1: one char per byte). */
function sameText(text: string, buf: Uint8Array, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

const METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"];
const NO_BODY: RequestBodyFraming = Object.freeze({ kind: "none" });
const CHUNKED: RequestBodyFraming = Object.freeze({ kind: "chunked" });

/**
 * Parses a stream of requests (pipelining included). After a thrown HttpError the parser is
 * `done` and the connection must be answered with `error.status` and closed.
 *
 * The head is scanned as bytes; strings are made only for what a request hands out (method,
 * target, names, values), and a name or value with the same bytes as the same field of the
 * previous request on this connection reuses that string (a kept-alive client repeats them).
 */
export class RequestParser {
  #phase: ParserPhase = "start-line";
  #carry: Uint8Array | null = null; // unfinished head line from an earlier chunk
  #headBytes = 0;
  #head: RequestHead | null = null;
  #contentLength = -1;
  #contentLengthRaw: string | null = null;
  #transferEncoding: string | null = null;
  #hostCount = 0;
  #connection = "";
  #upgradeField = false;
  #remaining = 0;
  #chunked: ChunkedDecoder | null = null;
  /** pause() was called: push() stops after the current request and keeps what follows. */
  #paused = false;
  #rest: Uint8Array = new Uint8Array(0);
  /** The previous request's fields, by position, to reuse their strings. */
  #names: string[] = [];
  #kinds: FieldKind[] = [];
  #values: string[] = [];
  #method = "GET";
  #target = "";
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
    let buf = chunk;
    const carry = this.#carry;
    if (carry) {
      buf = new Uint8Array(carry.length + chunk.length);
      buf.set(carry);
      buf.set(chunk, carry.length);
      this.#carry = null;
    }
    let pos = 0;
    try {
      while (pos < buf.length && !this.#paused) {
        if (this.#phase === "body") {
          pos = this.#chunked ? this.#pushChunked(buf, pos) : this.#pushLength(buf, pos);
        } else {
          const lf = indexOfLF(buf, pos);
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
          const start = pos;
          pos = lf + 1;
          if (this.#phase === "start-line") this.#onStartLine(buf, start, lf - 1);
          else if (start === lf - 1) this.#onHeadEnd();
          else this.#onFieldLine(buf, start, lf - 1);
        }
      }
      if (this.#paused && pos < buf.length) this.#rest = buf.slice(pos);
    } catch (error) {
      this.#phase = "done";
      throw error;
    }
  }

  #carryRest(buf: Uint8Array, pos: number): void {
    const rest = buf.length - pos;
    if (this.#headBytes + rest > this.maxHeaderBytes) {
      throw new HttpError("HEADERS_TOO_LARGE", "request head too large", 431);
    }
    // A CR that is already followed by something other than LF is a bare CR: fail now, not at timeout.
    const cr = buf.indexOf(CR, pos);
    if (cr >= 0 && cr < buf.length - 1) {
      throw new HttpError("BAD_LINE_ENDING", "bare CR in request head");
    }
    this.#carry = buf.slice(pos);
  }

  /** request-line = method SP request-target SP HTTP-version, in bytes [start, end). */
  #onStartLine(buf: Uint8Array, start: number, end: number): void {
    // RFC 9112 §2.2: ignore at least one empty line before the request-line (robustness).
    if (start === end) return;
    let i = start;
    while (i < end && TCHAR[buf[i] as number] === 1) i++;
    const methodEnd = i;
    if (methodEnd === start || buf[i] !== SP) throw badRequestLine();
    const targetStart = ++i;
    for (let b = buf[i] as number; i < end && b > 0x20 && b < 0x7f; b = buf[++i] as number);
    const targetEnd = i;
    // then exactly " HTTP/" DIGIT "." DIGIT
    if (
      targetEnd === targetStart ||
      end - i !== 9 ||
      buf[i] !== SP ||
      buf[i + 1] !== 72 ||
      buf[i + 2] !== 84 ||
      buf[i + 3] !== 84 ||
      buf[i + 4] !== 80 ||
      buf[i + 5] !== 47 ||
      buf[i + 7] !== 46
    ) {
      throw badRequestLine();
    }
    const major = (buf[i + 6] as number) - 48;
    const minor = (buf[i + 8] as number) - 48;
    if (major < 0 || major > 9 || minor < 0 || minor > 9) throw badRequestLine();
    if (major !== 1) {
      throw new HttpError("BAD_VERSION", `HTTP/${major}.${minor} not supported`, 505);
    }
    let method = this.#method;
    if (!sameText(method, buf, start, methodEnd)) {
      method =
        METHODS.find((known) => sameText(known, buf, start, methodEnd)) ??
        latin1(buf, start, methodEnd);
      this.#method = method;
    }
    if (method === "CONNECT") {
      throw new HttpError("UNSUPPORTED_METHOD", "CONNECT is not supported", 501);
    }
    let target = this.#target;
    if (!sameText(target, buf, targetStart, targetEnd)) {
      target = latin1(buf, targetStart, targetEnd);
      this.#target = target;
    }
    const isOrigin = buf[targetStart] === 47; // "/"
    if (!isOrigin && !ABSOLUTE_FORM.test(target) && !(target === "*" && method === "OPTIONS")) {
      throw new HttpError("BAD_REQUEST_LINE", "request-target is not origin-form or absolute-form");
    }
    this.#head = {
      method,
      target,
      versionMinor: minor === 0 ? 0 : 1,
      headers: [],
      host: "",
      keepAlive: minor !== 0,
      expectContinue: false,
      upgrade: false,
      body: NO_BODY,
    };
    this.#phase = "headers";
  }

  /**
   * The line is `name:` OWS `value` with no trailing OWS, byte for byte: the same field as the
   * previous request's, whose bytes passed the checks then, so they need no scan now.
   */
  #sameField(buf: Uint8Array, start: number, end: number, name: string, value: string): boolean {
    const colon = start + name.length;
    if (buf[colon] !== COLON || !sameText(name, buf, start, colon)) return false;
    let i = colon + 1;
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    return sameText(value, buf, i, end);
  }

  /** field-line = field-name ":" OWS field-value OWS, in bytes [start, end). */
  #onFieldLine(buf: Uint8Array, start: number, end: number): void {
    const head = this.#head as RequestHead;
    const first = buf[start];
    if (first === SP || first === HTAB) {
      throw new HttpError("OBS_FOLD", "obsolete line folding in header");
    }
    const n = head.headers.length;
    // A field the previous request had at n was within maxHeaderCount then (and the limit is fixed).
    let name = this.#names[n];
    let value = this.#values[n];
    let kind: FieldKind;
    if (
      name !== undefined &&
      value !== undefined &&
      this.#sameField(buf, start, end, name, value)
    ) {
      kind = this.#kinds[n] as FieldKind;
    } else {
      let i = start;
      while (i < end && TCHAR[buf[i] as number] === 1) i++;
      const nameEnd = i;
      if (nameEnd === start || buf[i] !== COLON) throw badHeader();
      i++;
      while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
      const valueStart = i;
      let valueEnd = i;
      for (; i < end; i++) {
        const b = buf[i] as number;
        if (FIELD_VALUE[b] !== 1) throw badHeader();
        if (b !== SP && b !== HTAB) valueEnd = i + 1;
      }
      if (n >= this.maxHeaderCount) {
        throw new HttpError("TOO_MANY_HEADERS", "too many header fields", 431);
      }
      if (name !== undefined && sameText(name, buf, start, nameEnd)) {
        kind = this.#kinds[n] as FieldKind;
      } else {
        name = latin1(buf, start, nameEnd);
        kind = kindOf(buf, start, nameEnd);
        this.#names[n] = name;
        this.#kinds[n] = kind;
      }
      if (value === undefined || !sameText(value, buf, valueStart, valueEnd)) {
        value = latin1(buf, valueStart, valueEnd);
        this.#values[n] = value;
      }
    }
    head.headers.push([name, value]);
    switch (kind) {
      case Field.other:
        break;
      case Field.host:
        head.host = value;
        this.#hostCount++;
        break;
      case Field.expect:
        if (value.toLowerCase() === "100-continue") head.expectContinue = true;
        break;
      case Field.connection:
        this.#connection += `${this.#connection ? "," : ""}${value.toLowerCase()}`;
        break;
      case Field.contentLength:
        if (!CONTENT_LENGTH.test(value)) {
          throw new HttpError("BAD_CONTENT_LENGTH", "invalid Content-Length");
        }
        if (this.#contentLengthRaw !== null && Number(value) !== this.#contentLength) {
          throw new HttpError("CONFLICTING_LENGTH", "differing Content-Length values");
        }
        this.#contentLengthRaw = value;
        this.#contentLength = Number(value);
        break;
      case Field.transferEncoding: {
        const previous = this.#transferEncoding;
        this.#transferEncoding = previous === null ? value : `${previous},${value}`;
        break;
      }
      case Field.upgrade:
        this.#upgradeField = true;
        break;
    }
  }

  #onHeadEnd(): void {
    const head = this.#head as RequestHead;
    if (head.versionMinor === 1 && this.#hostCount === 0) {
      throw new HttpError("MISSING_HOST", "HTTP/1.1 request without Host");
    }
    if (this.#hostCount > 1) throw new HttpError("BAD_HEADER", "more than one Host field");
    let connectionUpgrade = false;
    const connection = this.#connection;
    // A browser's lone `keep-alive` (or `close`) needs no token list built per request.
    if (connection === "keep-alive") {
      if (head.versionMinor === 0) head.keepAlive = true;
    } else if (connection === "close") {
      head.keepAlive = false;
    } else if (connection !== "") {
      const tokens = connection.split(",").map((t) => t.trim());
      if (tokens.includes("close")) head.keepAlive = false;
      else if (head.versionMinor === 0 && tokens.includes("keep-alive")) head.keepAlive = true;
      connectionUpgrade = tokens.includes("upgrade");
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
      head.body = CHUNKED;
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
    // RFC 9110 §7.8: an Upgrade in an HTTP/1.0 request is ignored.
    head.upgrade =
      this.#upgradeField &&
      connectionUpgrade &&
      head.versionMinor === 1 &&
      head.body.kind === "none";
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
    this.#upgradeField = false;
  }

  #pushLength(buf: Uint8Array, pos: number): number {
    const n = Math.min(this.#remaining, buf.length - pos);
    this.handlers.onBody(buf.slice(pos, pos + n));
    this.#remaining -= n;
    if (this.#remaining === 0) this.#bodyEnd();
    return pos + n;
  }

  #pushChunked(buf: Uint8Array, pos: number): number {
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

function badRequestLine(): HttpError {
  return new HttpError("BAD_REQUEST_LINE", "malformed request line");
}

function badHeader(): HttpError {
  return new HttpError("BAD_HEADER", "malformed header field");
}
