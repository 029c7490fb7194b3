// A growable big-endian byte writer with a name-compression map (RFC 1035 §4.1.4).
import { MAX_MESSAGE_BYTES } from "../constants.ts";
import { DnsError } from "../errors.ts";

/** How many whole names the writer remembers for exact-match pointers. */
export const EXACT_NAMES = 16;

/** Encodes into one buffer that doubles when full, up to MAX_MESSAGE_BYTES. */
export class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  /** Lower-cased name suffix → offset where it was written (only offsets a pointer can hold). */
  readonly names = new Map<string, number>();
  /**
   * Whole names exactly as given, and where they were written: repeated owners cost a short scan
   * of string comparisons, no lower-casing (capped at EXACT_NAMES; the suffix map still serves).
   */
  readonly exactNames: string[] = [];
  readonly exactOffsets: number[] = [];
  /** Plain names written in full whose suffixes are not in `names` yet (see writeName). */
  readonly deferred: { name: string; start: number; stop: number }[] = [];

  constructor(initialBytes = 512) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    if (need > MAX_MESSAGE_BYTES) {
      throw new DnsError("MESSAGE_TOO_LARGE", `message exceeds ${MAX_MESSAGE_BYTES} bytes`);
    }
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(Math.min(size, MAX_MESSAGE_BYTES));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A copy of what was written. */
  finish(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.pos);
  }
}
