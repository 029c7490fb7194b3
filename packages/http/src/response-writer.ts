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

/** Status line + Date per status, for the Date value they were made with (one per second). */
const statusLines = new Map<number, string>();
let statusLinesDate = "";

function statusAndDate(status: number, statusText: string, date: string): string {
  if (statusText !== "" && statusText !== reasonPhrase(status)) {
    return `HTTP/1.1 ${status} ${statusText}\r\nDate: ${date}\r\n`;
  }
  if (date !== statusLinesDate) {
    statusLines.clear();
    statusLinesDate = date;
  }
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nDate: ${date}\r\n`;
    statusLines.set(status, line);
  }
  return line;
}

/** The lengths of the HOP_BY_HOP names: most fields skip the set lookup. */
const HOP_BY_HOP_LENGTH = new Uint8Array(32);
for (const name of HOP_BY_HOP) HOP_BY_HOP_LENGTH[name.length] = 1;

/** Where addField appends (one module-level callback: no closure per response). */
let fields = "";
function addField(value: string, name: string): void {
  if (HOP_BY_HOP_LENGTH[name.length] !== 1 || !HOP_BY_HOP.has(name)) {
    fields += `${name}: ${value}\r\n`;
  }
}

/** The status line and header section, ending with the empty line. Latin-1 text: Headers are ByteStrings. */
export function serializeHead(o: HeadOptions): string {
  let head = statusAndDate(o.status, o.statusText, o.date);
  // Headers iteration yields each Set-Cookie on its own (Fetch spec), so they stay separate lines.
  // forEach rather than for-of: no [name, value] array per field (about 40 ns a response).
  fields = "";
  o.headers.forEach(addField);
  head += fields;
  fields = "";
  if (typeof o.framing === "number") head += `Content-Length: ${o.framing}\r\n`;
  else if (o.framing === "chunked") head += "Transfer-Encoding: chunked\r\n";
  if (o.connection !== null) head += `Connection: ${o.connection}\r\n`;
  return `${head}\r\n`;
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
