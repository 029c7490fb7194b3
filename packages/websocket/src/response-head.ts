// The head of the server's handshake response (RFC 9112 §4, §5): status line and fields up to the
// empty line. Only the client reads one; the bytes after it already belong to the WebSocket stream.
import { WebSocketError } from "./errors.ts";

/** A parsed HTTP response head. */
export interface ResponseHead {
  status: number;
  reason: string;
  headers: [string, string][];
}

/** A handshake response head is a few hundred bytes; 16 KiB matches common HTTP header limits. */
export const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;

const latin1 = new TextDecoder("latin1");

/** Gathers bytes until the head is complete; counts them against the limit before waiting for more. */
export class ResponseHeadReader {
  #pending: Uint8Array = new Uint8Array(0);
  constructor(readonly maxHeadBytes = MAX_RESPONSE_HEAD_BYTES) {}

  get bufferedBytes(): number {
    return this.#pending.length;
  }

  /** The head and the bytes after it once complete, else undefined; throws on a bad head. */
  push(chunk: Uint8Array): { head: ResponseHead; rest: Uint8Array } | undefined {
    const joined = new Uint8Array(this.#pending.length + chunk.length);
    joined.set(this.#pending);
    joined.set(chunk, this.#pending.length);
    const from = Math.max(0, this.#pending.length - 3);
    let end = -1;
    for (let i = from; i + 3 < joined.length; i++) {
      if (
        joined[i] === 13 &&
        joined[i + 1] === 10 &&
        joined[i + 2] === 13 &&
        joined[i + 3] === 10
      ) {
        end = i;
        break;
      }
    }
    if (end < 0) {
      if (joined.length > this.maxHeadBytes) {
        throw new WebSocketError(
          "HANDSHAKE_FAILED",
          `response head over ${this.maxHeadBytes} bytes`,
        );
      }
      this.#pending = joined;
      return undefined;
    }
    this.#pending = new Uint8Array(0);
    return { head: parseHead(latin1.decode(joined.subarray(0, end))), rest: joined.slice(end + 4) };
  }
}

function parseHead(text: string): ResponseHead {
  const [statusLine = "", ...fieldLines] = text.split("\r\n");
  const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!match)
    throw new WebSocketError(
      "HANDSHAKE_FAILED",
      `not an HTTP/1.1 status line: ${statusLine.slice(0, 80)}`,
    );
  const headers: [string, string][] = [];
  for (const line of fieldLines) {
    const colon = line.indexOf(":");
    if (colon <= 0 || /\s/.test(line[colon - 1] as string)) {
      throw new WebSocketError("HANDSHAKE_FAILED", `bad header line: ${line.slice(0, 80)}`);
    }
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { status: Number(match[1]), reason: match[2] ?? "", headers };
}
