// Length-prefixed frames: a big-endian payload length, then the payload. 4-byte prefixes are the BBS
// and name service wire; 2-byte prefixes are DNS over TCP and TLS (RFC 1035 §4.2.2, RFC 7766, RFC 7858).
import {
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_PREFIX_BYTES,
  MAX_ENCODABLE_FRAME_BYTES,
} from "./constants.ts";
import { FramingError } from "./errors.ts";
import type { OutputBuffer } from "./output-buffer.ts";
import { encodeText } from "./utf8.ts";

/** Bytes in a length prefix: 4 (u32, the default) or 2 (u16, DNS over TCP). */
export type PrefixBytes = 2 | 4;

/** The largest payload a prefix of `prefixBytes` can express. */
export function maxEncodable(prefixBytes: PrefixBytes): number {
  return prefixBytes === 2 ? 0xffff : MAX_ENCODABLE_FRAME_BYTES;
}

function payloadBytes(payload: Uint8Array | string, prefixBytes: PrefixBytes): Uint8Array {
  const body = typeof payload === "string" ? encodeText(payload) : payload;
  const max = maxEncodable(prefixBytes);
  if (body.length > max) {
    throw new FramingError(
      "ENCODE_TOO_LARGE",
      `a ${body.length}-byte payload does not fit a ${prefixBytes}-byte length prefix`,
      body.length,
      max,
    );
  }
  return body;
}

function writeFrame(
  body: Uint8Array,
  target: Uint8Array,
  offset: number,
  prefixBytes: PrefixBytes,
): void {
  const size = body.length;
  if (prefixBytes === 4) {
    target[offset++] = size >>> 24;
    target[offset++] = (size >>> 16) & 0xff;
  }
  target[offset] = (size >>> 8) & 0xff;
  target[offset + 1] = size & 0xff;
  target.set(body, offset + 2);
}

/**
 * Encodes one frame with a 4-byte length prefix; a string payload is sent as UTF-8. The result
 * owns a plain ArrayBuffer, so DOM APIs (`fetch` bodies, `WebSocket.send`) take it as it is.
 */
export function encodeFrame(payload: Uint8Array | string): Uint8Array<ArrayBuffer> {
  return encodePrefixed(payload, FRAME_PREFIX_BYTES);
}

/** Encodes one frame with a 2-byte length prefix (DNS over TCP, RFC 1035 §4.2.2). */
export function encodeFrame16(payload: Uint8Array | string): Uint8Array<ArrayBuffer> {
  return encodePrefixed(payload, 2);
}

/** Encodes one frame with a prefix of `prefixBytes`. */
export function encodePrefixed(
  payload: Uint8Array | string,
  prefixBytes: PrefixBytes,
): Uint8Array<ArrayBuffer> {
  const body = payloadBytes(payload, prefixBytes);
  const frame = new Uint8Array(prefixBytes + body.length);
  writeFrame(body, frame, 0, prefixBytes);
  return frame;
}

/** Encodes one frame straight into an output buffer (one copy of the payload). */
export function encodeFrameInto(
  payload: Uint8Array | string,
  out: OutputBuffer,
  prefixBytes: PrefixBytes,
): void {
  const body = payloadBytes(payload, prefixBytes);
  const { bytes, offset } = out.reserve(prefixBytes + body.length);
  writeFrame(body, bytes, offset, prefixBytes);
}

/** Options of `FrameDecoder` (and of the `frames()` protocol). */
export interface FrameDecoderOptions {
  /** Length prefix size: 4 (u32) or 2 (u16, DNS over TCP). @default 4 */
  prefixBytes?: PrefixBytes;
  /** Largest payload accepted; a bigger length prefix throws FRAME_TOO_LARGE at once. @default 1 MiB */
  maxFrameBytes?: number;
  /**
   * Copy frames that lie inside one chunk (true), or hand out views of the chunk (false: one copy
   * fewer, for consumers that use each frame before the next chunk, such as push-mode handlers).
   * @default true
   */
  copy?: boolean;
}

const EMPTY = new Uint8Array(0);

/**
 * Turns any chunking of a frame stream into whole frames. Two ways to use it:
 * - `push(chunk)` returns every frame the chunk completes;
 * - `feed(chunk)`, then `next()` for one frame at a time, then `detach()` before the chunk may
 *   be reused: frames not taken stay undecoded, so a consumer that must pause (a commit pending)
 *   keeps the rest of the chunk as one copy instead of one copy per frame.
 * Frames inside one chunk are views of it (or copies, with `copy`); input that spans chunks is
 * gathered in one buffer that grows by doubling, so every byte is copied a bounded number of
 * times whatever the chunk sizes (never quadratic).
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  readonly prefixBytes: PrefixBytes;
  readonly #copy: boolean;
  /** Undecoded input is #in[#start, #end). */
  #in: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  /** #in is the caller's chunk (fed, not detached yet): never written to, copied before keeping. */
  #borrowed = false;
  /** A limit error met after some frames of a chunk: thrown by the next push or finish. */
  #failure: FramingError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    const prefix = options.prefixBytes ?? FRAME_PREFIX_BYTES;
    if (prefix !== 2 && prefix !== 4) throw new RangeError("prefixBytes must be 2 or 4");
    this.prefixBytes = prefix;
    const limit = maxEncodable(prefix);
    const max = options.maxFrameBytes ?? Math.min(DEFAULT_MAX_FRAME_BYTES, limit);
    if (!Number.isInteger(max) || max < 0 || max > limit) {
      throw new RangeError(`maxFrameBytes must be an integer from 0 to ${limit}`);
    }
    this.maxFrameBytes = max;
    this.#copy = options.copy ?? true;
  }

  /** Bytes received and not yet returned as frames (an incomplete frame, and frames not taken). */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /** The limit error waiting to be thrown, if any (frames before it were already returned). */
  get failure(): FramingError | undefined {
    return this.#failure;
  }

  /**
   * Feeds one chunk; returns the frames it completed, in order. A length over the limit throws
   * FRAME_TOO_LARGE — unless frames came before it in this chunk: those are returned first and
   * the error is thrown by the next call (`failure` shows it meanwhile), so no frame is lost.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failure) throw this.#failure;
    const frames: Uint8Array[] = [];
    this.feed(chunk);
    try {
      for (let frame = this.next(); frame !== undefined; frame = this.next()) {
        frames.push(this.#copy && frame.length > 0 ? frame.slice() : frame);
      }
    } catch (error) {
      this.#failure = error as FramingError;
      if (frames.length === 0) throw error;
    }
    this.detach();
    return frames;
  }

  /**
   * Adds a chunk to the undecoded input. The decoder may refer to the chunk itself until
   * `detach()`, so call that before the chunk's memory is reused.
   */
  feed(chunk: Uint8Array): void {
    if (this.#failure) throw this.#failure;
    if (chunk.length === 0) return;
    if (this.#start === this.#end) {
      this.#in = chunk;
      this.#start = 0;
      this.#end = chunk.length;
      this.#borrowed = true;
      return;
    }
    const held = this.#end - this.#start;
    if (!this.#borrowed && this.#in.length - this.#end >= chunk.length) {
      this.#in.set(chunk, this.#end); // behind every frame handed out: none is overwritten
      this.#end += chunk.length;
      return;
    }
    const next = new Uint8Array(Math.max(2 * (held + chunk.length), 4096));
    next.set(this.#in.subarray(this.#start, this.#end));
    next.set(chunk, held);
    this.#in = next;
    this.#start = 0;
    this.#end = held + chunk.length;
    this.#borrowed = false;
  }

  /**
   * The next whole frame, as a view valid until the next `feed`, or undefined when the input
   * holds no whole frame. Throws FRAME_TOO_LARGE as soon as a length prefix is over the limit.
   */
  next(): Uint8Array | undefined {
    const buf = this.#in;
    const at = this.#start;
    const prefix = this.prefixBytes;
    if (this.#end - at < prefix) return undefined;
    const size =
      prefix === 4
        ? ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0
        : (buf[at]! << 8) | buf[at + 1]!;
    if (size > this.maxFrameBytes) {
      this.#drop();
      this.#failure = new FramingError(
        "FRAME_TOO_LARGE",
        `frame of ${size} bytes is over the ${this.maxFrameBytes}-byte limit`,
        size,
        this.maxFrameBytes,
      );
      throw this.#failure;
    }
    const from = at + prefix;
    if (this.#end - from < size) return undefined;
    this.#start = from + size;
    return size === 0 ? EMPTY : buf.subarray(from, from + size);
  }

  /** Stops referring to the last chunk fed: what is left of it is copied, once. */
  detach(): void {
    if (this.#start === this.#end) {
      this.#drop(); // an idle peer holds no buffer
    } else if (this.#borrowed) {
      this.#in = this.#in.slice(this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
      this.#borrowed = false;
    }
  }

  /** Call at end of stream: throws TRUNCATED_FRAME if a partial frame is buffered. */
  finish(): void {
    if (this.#failure) throw this.#failure;
    const have = this.#end - this.#start;
    if (have === 0) return;
    let want = this.prefixBytes;
    if (have >= this.prefixBytes) {
      let size = 0;
      for (let i = 0; i < this.prefixBytes; i++) size = size * 256 + this.#in[this.#start + i]!;
      want += size;
    }
    this.#drop();
    throw new FramingError(
      "TRUNCATED_FRAME",
      `stream ended inside a frame (${have} of ${want} bytes)`,
      have,
      want,
    );
  }

  #drop(): void {
    this.#in = EMPTY;
    this.#start = this.#end = 0;
    this.#borrowed = false;
  }
}
