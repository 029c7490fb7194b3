// Serialises response heads and error replies (RFC 9112 §4, §6), no I/O.

const REASONS: Record<number, string> = {
  100: "Continue",
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  426: "Upgrade Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? "";
}

/** Fields the transport owns: a handler's values for them are replaced (or dropped). */
const HOP_BY_HOP = new Set([
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "date",
  "upgrade",
]);

/** Statuses whose responses never carry a body (RFC 9110 §6.4.1). */
export function statusHasNoBody(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}

/** The `Date` value, refreshed by the server's clock tick (one-second resolution is all HTTP has). */
export class DateClock {
  #value = new Date().toUTCString();
  refresh(nowMs: number): void {
    this.#value = new Date(nowMs).toUTCString();
  }
  get value(): string {
    return this.#value;
  }
}

export interface HeadOptions {
  status: number;
  statusText: string;
  headers: Headers;
  date: string;
  /** Bytes of body, or "chunked", or "none" (HEAD, 204, 304: no framing field at all unless known). */
  framing: number | "chunked" | "close-delimited" | "none";
  /** `close` | `keep-alive` | null (omit: the HTTP/1.1 default keep-alive). */
  connection: "close" | "keep-alive" | null;
}

/** Status line + Date per status, as bytes, for the Date value they were made with (one per second). */
const statusLines = new Map<number, Uint8Array>();
let statusLinesDate = "";

function statusAndDate(status: number, statusText: string, date: string): Uint8Array {
  if (statusText !== "" && statusText !== reasonPhrase(status)) {
    return Buffer.from(`HTTP/1.1 ${status} ${statusText}\r\nDate: ${date}\r\n`, "latin1");
  }
  if (date !== statusLinesDate) {
    statusLines.clear();
    statusLinesDate = date;
  }
  let line = statusLines.get(status);
  if (line === undefined) {
    line = Buffer.from(`HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nDate: ${date}\r\n`, "latin1");
    statusLines.set(status, line);
  }
  return line;
}

/** The lengths of the HOP_BY_HOP names: most fields skip the set lookup. */
const HOP_BY_HOP_LENGTH = new Uint8Array(32);
for (const name of HOP_BY_HOP) HOP_BY_HOP_LENGTH[name.length] = 1;

// Where encodeHead writes, at module level so that one callback serves every response's
// headers.forEach (no closure per response).
const NOWHERE: Uint8Array = new Uint8Array(0);
let out = NOWHERE;
let at = 0;

/** Latin-1 text at `at` (a char's low byte, as Buffer's latin1; Headers are ByteStrings anyway). */
function put(text: string): void {
  const end = at + text.length;
  if (end > out.length) {
    at = Number.POSITIVE_INFINITY; // does not fit: the caller sees it once done
    return;
  }
  // A loop the JIT keeps inline beats a native latin1 write for these short strings, and no
  // head string (a rope of every piece) is built and flattened.
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  at = end;
}

function putDecimal(n: number): void {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  const end = at + digits;
  if (end > out.length) {
    at = Number.POSITIVE_INFINITY;
    return;
  }
  for (let i = end - 1, rest = n; i >= at; i--, rest = Math.floor(rest / 10))
    out[i] = 48 + (rest % 10);
  at = end;
}

function putField(value: string, name: string): void {
  if (HOP_BY_HOP_LENGTH[name.length] === 1 && HOP_BY_HOP.has(name)) return;
  put(name);
  put(": ");
  put(value);
  put("\r\n");
}

/**
 * Writes the status line and header section, ending with the empty line, at the start of
 * `target`: the number of bytes, or -1 when they do not fit.
 */
export function encodeHead(o: HeadOptions, target: Uint8Array): number {
  const line = statusAndDate(o.status, o.statusText, o.date);
  if (line.length > target.length) return -1;
  target.set(line);
  out = target;
  at = line.length;
  // Headers iteration yields each Set-Cookie on its own (Fetch spec), so they stay separate lines.
  // forEach rather than for-of: no [name, value] array per field. Most responses have no field
  // or only Content-Type: Bun's `count` (entries, each Set-Cookie its own) and one `get` cost
  // about 25 ns where forEach's native-to-JS callback costs about 40.
  const headers = o.headers;
  const count = headers.count;
  if (count === 1) {
    const type = headers.get("content-type");
    if (type !== null) {
      put("content-type: ");
      put(type);
      put("\r\n");
    } else headers.forEach(putField);
  } else if (count !== 0) headers.forEach(putField);
  if (typeof o.framing === "number") {
    put("Content-Length: ");
    putDecimal(o.framing);
    put("\r\n");
  } else if (o.framing === "chunked") put("Transfer-Encoding: chunked\r\n");
  if (o.connection !== null) {
    put("Connection: ");
    put(o.connection);
    put("\r\n");
  }
  put("\r\n");
  const length = at;
  out = NOWHERE;
  at = 0;
  return length === Number.POSITIVE_INFINITY ? -1 : length;
}

/** The head as its own bytes (for responses not coalesced with their body). */
export function serializeHead(o: HeadOptions): Uint8Array {
  for (let size = 1024; ; size *= 4) {
    const target = Buffer.allocUnsafe(size);
    const length = encodeHead(o, target);
    if (length >= 0) return target.subarray(0, length);
  }
}

/** A complete plain-text error reply that closes the connection (ws abortHandshake style). */
export function serializeErrorResponse(status: number, message: string, date: string): string {
  const body = `${message}\n`;
  return (
    `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nDate: ${date}\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: close\r\n\r\n${body}`
  );
}
