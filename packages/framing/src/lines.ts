// Line framing: LF-terminated UTF-8 lines with CRLF tolerated, for nc/telnet/socat peers.
import { DEFAULT_MAX_LINE_BYTES } from "./constants.ts";
import { FramingError } from "./errors.ts";
import { decodeUtf8 } from "./text-policy.ts";
import { decodeText, encodeText } from "./utf8.ts";

const LF = 0x0a;
const CR = 0x0d;

/** Encodes `text` followed by LF. */
export function encodeLine(text: string): Uint8Array {
  return encodeText(`${text}\n`);
}

/** Options of `LineDecoder`. */
export interface LineDecoderOptions {
  /** Longest line accepted, in bytes, without its line ending. @default 64 KiB */
  maxLineBytes?: number;
  /**
   * Called for an over-long line instead of throwing: the line is dropped up to its LF and
   * decoding carries on (the chat room keeps such a peer connected). `index` is how many of the
   * lines the current `push()` returns come before the dropped one, so callers can keep order.
   */
  onOversize?: (error: FramingError, index: number) => void;
  /**
   * Makes decoding strict: a line that is not valid UTF-8 is dropped and reported here as
   * INVALID_UTF8 (with `index` as for onOversize) instead of being delivered with U+FFFD in it.
   */
  onInvalidUtf8?: (error: FramingError, index: number) => void;
}

/**
 * Splits a byte stream into lines. Splitting happens on bytes, before UTF-8 decoding, so a
 * character split across chunks decodes correctly (LF never occurs inside a multi-byte sequence).
 * The limit is checked while the line is still arriving, so an endless line costs at most
 * `maxLineBytes` of memory.
 */
export class LineDecoder {
  readonly maxLineBytes: number;
  readonly #onOversize: ((error: FramingError, index: number) => void) | undefined;
  readonly #onInvalidUtf8: ((error: FramingError, index: number) => void) | undefined;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** True while dropping the rest of an over-long line up to its LF. */
  #discarding = false;
  /** The array the current push() fills (for the index given to onOversize). */
  #out: string[] = [];
  /** Without onOversize: the limit error met after some lines of a chunk, thrown next call. */
  #failure: FramingError | undefined;

  constructor(options: LineDecoderOptions = {}) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(max) || max < 1) throw new RangeError("maxLineBytes must be >= 1");
    this.maxLineBytes = max;
    this.#onOversize = options.onOversize;
    this.#onInvalidUtf8 = options.onInvalidUtf8;
  }

  /** Bytes held for a line whose LF has not arrived. */
  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  /** The limit error waiting to be thrown, if any (lines before it were already returned). */
  get failure(): FramingError | undefined {
    return this.#failure;
  }

  /**
   * Feeds one chunk; returns the complete lines, without their line endings. Without
   * `onOversize`, an over-long line throws LINE_TOO_LONG — after the lines before it in this chunk
   * are returned (the error then waits in `failure` and is thrown by the next call).
   */
  push(chunk: Uint8Array): string[] {
    if (this.#failure) throw this.#failure;
    const lines: string[] = [];
    try {
      this.#decode(chunk, lines);
    } catch (error) {
      this.#failure = error as FramingError;
      if (lines.length === 0) throw error;
    }
    return lines;
  }

  #decode(chunk: Uint8Array, lines: string[]): void {
    this.#out = lines;
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) {
        this.#hold(chunk.subarray(start));
        break;
      }
      if (this.#discarding) {
        this.#discarding = false;
      } else if (this.#pendingBytes === 0) {
        this.#emit(chunk.subarray(start, lf), lines);
      } else {
        const piece = chunk.subarray(start, lf);
        const last = piece.length > 0 ? piece : this.#pending[this.#pending.length - 1]!;
        if (this.#tooLong(this.#pendingBytes + piece.length - (endsWithCr(last) ? 1 : 0))) {
          this.#drop();
        } else {
          this.#pending.push(piece);
          this.#decodeInto(this.#takePending(), lines);
        }
      }
      start = lf + 1;
    }
  }

  /** End of stream: returns the last line if it had no LF. */
  finish(): string[] {
    if (this.#failure) throw this.#failure;
    if (this.#discarding) {
      this.#discarding = false;
      return [];
    }
    if (this.#pendingBytes === 0 && this.#pending.length === 0) return [];
    const lines: string[] = [];
    this.#decodeInto(this.#takePending(), lines);
    return lines;
  }

  #emit(bytes: Uint8Array, lines: string[]): void {
    const length = bytes.length - (endsWithCr(bytes) ? 1 : 0);
    if (this.#tooLong(length)) {
      this.#report(length);
      return;
    }
    this.#decodeInto(bytes.subarray(0, length), lines);
  }

  #decodeInto(bytes: Uint8Array, lines: string[]): void {
    if (!this.#onInvalidUtf8) {
      lines.push(decodeText(bytes));
      return;
    }
    const text = decodeUtf8(bytes, "line");
    if (typeof text === "string") lines.push(text);
    else
      this.#onInvalidUtf8(new FramingError("INVALID_UTF8", text.message, text.index), lines.length);
  }

  #hold(piece: Uint8Array): void {
    if (this.#discarding) return;
    // A trailing CR may belong to a CRLF, so allow one byte of slack before judging the length.
    if (this.#tooLong(this.#pendingBytes + piece.length - 1)) {
      const seen = this.#pendingBytes + piece.length;
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#discarding = true;
      this.#report(seen);
      return;
    }
    this.#pending.push(piece.slice()); // copy: Bun may reuse the chunk after the callback
    this.#pendingBytes += piece.length;
  }

  #drop(): void {
    const seen = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#report(seen);
  }

  /** The held line's bytes, without a trailing CR. */
  #takePending(): Uint8Array {
    let total = 0;
    for (const p of this.#pending) total += p.length;
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of this.#pending) {
      bytes.set(p, at);
      at += p.length;
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    return bytes.subarray(0, total - (endsWithCr(bytes) ? 1 : 0));
  }

  #tooLong(length: number): boolean {
    return length > this.maxLineBytes;
  }

  #report(size: number): void {
    const error = new FramingError(
      "LINE_TOO_LONG",
      `line of ${size}+ bytes is over the ${this.maxLineBytes}-byte limit`,
      size,
      this.maxLineBytes,
    );
    if (!this.#onOversize) throw error;
    this.#onOversize(error, this.#out.length);
  }
}

function endsWithCr(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[bytes.length - 1] === CR;
}
