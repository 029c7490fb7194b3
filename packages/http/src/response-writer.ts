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

/** The status line and header section, ending with the empty line. Latin-1 text: Headers are ByteStrings. */
export function serializeHead(o: HeadOptions): string {
  let head = `HTTP/1.1 ${o.status} ${o.statusText || reasonPhrase(o.status)}\r\nDate: ${o.date}\r\n`;
  // Headers iteration yields each Set-Cookie on its own (Fetch spec), so they stay separate lines.
  // forEach rather than for-of: no [name, value] array per field (about 40 ns a response).
  o.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) head += `${name}: ${value}\r\n`;
  });
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
