// Decoder for the chunked transfer coding of request bodies (RFC 9112 §7.1), no I/O.
import { MAX_CHUNK_LINE_BYTES, MAX_CHUNK_SIZE_HEX_DIGITS } from "./defaults.ts";
import { HttpError } from "./errors.ts";
import { FIELD_LINE, latin1 } from "./text.ts";

type Phase = "size" | "data" | "data-cr" | "data-lf" | "trailer" | "done";

const CR = 13;
const LF = 10;
/** chunk-size, then optional BWS and `;ext` (RFC 9112 §7.1.1); anything else is malformed. */
const SIZE_LINE = /^([0-9A-Fa-f]+)[ \t]*(?:;.*)?$/;

export interface ChunkedLimits {
  maxBodyBytes: number;
  maxHeaderBytes: number;
  maxHeaderCount: number;
}

/**
 * Turns a chunked body into its data bytes. `push` consumes from `buf` starting at `pos`, hands
 * copies of the data to `onData` and returns the position after the last
 * byte it consumed; `done` turns true after the last-chunk and trailer section.
 */
export class ChunkedDecoder {
  #phase: Phase = "size";
  #line: Uint8Array | null = null; // unfinished size or trailer line carried over from an earlier chunk
  #remaining = 0; // data bytes left in the current chunk
  #bodyBytes = 0;
  #trailerBytes = 0;
  #trailerCount = 0;

  constructor(readonly limits: ChunkedLimits) {}

  get done(): boolean {
    return this.#phase === "done";
  }

  push(buf: Uint8Array, start: number, onData: (data: Uint8Array) => void): number {
    let pos = start;
    while (pos < buf.length && this.#phase !== "done") {
      switch (this.#phase) {
        case "size":
        case "trailer": {
          const line = this.#takeLine(buf, pos);
          if (line === undefined) return buf.length;
          pos = line.next;
          if (this.#phase === "size") this.#onSizeLine(line.text);
          else this.#onTrailerLine(line.text);
          break;
        }
        case "data": {
          const n = Math.min(this.#remaining, buf.length - pos);
          onData(buf.slice(pos, pos + n));
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#phase = "data-cr";
          break;
        }
        case "data-cr":
          if (buf[pos] !== CR) throw new HttpError("BAD_CHUNK", "chunk data not followed by CRLF");
          pos++;
          this.#phase = "data-lf";
          break;
        case "data-lf":
          if (buf[pos] !== LF) throw new HttpError("BAD_CHUNK", "chunk data not followed by CRLF");
          pos++;
          this.#phase = "size";
          break;
      }
    }
    return pos;
  }

  /** One CRLF-terminated line (without the CRLF), or undefined if `buf` ends first. */
  #takeLine(buf: Uint8Array, pos: number): { text: string; next: number } | undefined {
    const max = this.#phase === "size" ? MAX_CHUNK_LINE_BYTES : this.limits.maxHeaderBytes;
    const lf = buf.indexOf(LF, pos);
    const carried = this.#line?.length ?? 0;
    const end = lf < 0 ? buf.length : lf + 1;
    if (this.#phase === "trailer") {
      this.#trailerBytes += end - pos;
      if (this.#trailerBytes > max) {
        throw new HttpError("HEADERS_TOO_LARGE", "trailer section too large", 431);
      }
    } else if (carried + end - pos > max) {
      throw new HttpError("BAD_CHUNK", "chunk size line too long");
    }
    if (lf < 0) {
      // slice, not subarray: a view of a fresh socket Uint8Array makes JSC allocate its ArrayBuffer.
      const rest = buf.slice(pos);
      this.#line = this.#line ? concat(this.#line, rest) : rest;
      return undefined;
    }
    let line = buf;
    let from = pos;
    let to = lf;
    if (this.#line) {
      line = concat(this.#line, buf.slice(pos, lf));
      this.#line = null;
      from = 0;
      to = line.length;
    }
    if (to === from || line[to - 1] !== CR) {
      throw new HttpError("BAD_LINE_ENDING", "bare LF in chunked body");
    }
    return { text: latin1(line, from, to - 1), next: lf + 1 };
  }

  #onSizeLine(text: string): void {
    const match = SIZE_LINE.exec(text);
    if (!match) throw new HttpError("BAD_CHUNK", "malformed chunk size line");
    const digits = (match[1] as string).replace(/^0+(?=.)/, "");
    if (digits.length > MAX_CHUNK_SIZE_HEX_DIGITS) {
      throw new HttpError("BAD_CHUNK", "chunk size overflows");
    }
    const size = Number.parseInt(digits, 16);
    this.#bodyBytes += size;
    if (this.#bodyBytes > this.limits.maxBodyBytes) {
      throw new HttpError("BODY_TOO_LARGE", `body over ${this.limits.maxBodyBytes} bytes`, 413);
    }
    if (size === 0) {
      this.#phase = "trailer";
    } else {
      this.#remaining = size;
      this.#phase = "data";
    }
  }

  #onTrailerLine(text: string): void {
    if (text === "") {
      this.#phase = "done";
      return;
    }
    if (text.charCodeAt(0) === 32 || text.charCodeAt(0) === 9) {
      throw new HttpError("OBS_FOLD", "obsolete line folding in trailer");
    }
    if (!FIELD_LINE.test(text)) throw new HttpError("BAD_HEADER", "malformed trailer field");
    if (++this.#trailerCount > this.limits.maxHeaderCount) {
      throw new HttpError("TOO_MANY_HEADERS", "too many trailer fields", 431);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
