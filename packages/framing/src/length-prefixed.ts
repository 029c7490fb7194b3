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
 * Input is kept as the chunks it came in (no buffer to grow or move): a frame inside one chunk is
 * a view of it (or one copy, with `copy`), and only a frame that spans chunks is gathered, once,
 * when it is whole. So every byte is copied at most twice whatever the chunking.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  readonly prefixBytes: PrefixBytes;
  readonly #copy: boolean;
  /** Undecoded input: #segments[#head] from #offset, then the later segments whole. */
  #segments: Uint8Array[] = [];
  #head = 0;
  #offset = 0;
  #buffered = 0;
  /** The last segment is the caller's chunk (fed, not detached yet): copied before it is kept. */
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
    return this.#buffered;
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
      if (this.#buffered > chunk.length) {
        // A frame started in an earlier chunk: complete it across segments.
        const first = this.#take(this.#copy);
        if (first !== undefined) frames.push(first);
      }
      if (this.#segments.length - this.#head === 1) this.#takeAllInHead(frames);
      for (
        let frame = this.#take(this.#copy);
        frame !== undefined;
        frame = this.#take(this.#copy)
      ) {
        frames.push(frame);
      }
    } catch (error) {
      if (frames.length === 0) throw error;
    }
    this.detach();
    return frames;
  }

  /**
   * Adds a chunk to the undecoded input. The decoder refers to the chunk itself until `detach()`
   * (or the next `feed`), so call that before the chunk's memory is reused.
   */
  feed(chunk: Uint8Array): void {
    if (this.#failure) throw this.#failure;
    if (chunk.length === 0) return;
    if (this.#buffered === 0) {
      this.#segments = [chunk];
      this.#head = 0;
      this.#offset = 0;
    } else {
      if (this.#borrowed) this.detach();
      this.#segments.push(chunk);
    }
    this.#buffered += chunk.length;
    this.#borrowed = true;
  }

  /**
   * The next whole frame, as a view valid until the next `feed`, or undefined when the input
   * holds no whole frame. Throws FRAME_TOO_LARGE as soon as a length prefix is over the limit.
   */
  next(): Uint8Array | undefined {
    return this.#take(false);
  }

  /** Stops referring to the last chunk fed: what is left of it is copied, once. */
  detach(): void {
    if (this.#buffered === 0) {
      this.#drop(); // an idle peer holds no buffer
      return;
    }
    if (this.#borrowed) {
      const last = this.#segments.length - 1;
      const from = last === this.#head ? this.#offset : 0;
      this.#segments[last] = (this.#segments[last] as Uint8Array).slice(from);
      if (last === this.#head) this.#offset = 0;
      this.#borrowed = false;
    }
    if (this.#head > 0) {
      this.#segments = this.#segments.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Call at end of stream: throws TRUNCATED_FRAME if a partial frame is buffered. */
  finish(): void {
    if (this.#failure) throw this.#failure;
    const have = this.#buffered;
    if (have === 0) return;
    const want = this.prefixBytes + (have >= this.prefixBytes ? this.#readSize() : 0);
    this.#drop();
    throw new FramingError(
      "TRUNCATED_FRAME",
      `stream ended inside a frame (${have} of ${want} bytes)`,
      have,
      want,
    );
  }

  /** push()'s fast path: every whole frame of the only segment, with the offset in a local. */
  #takeAllInHead(frames: Uint8Array[]): void {
    const segment = this.#segments[this.#head] as Uint8Array;
    const end = segment.length;
    const prefix = this.prefixBytes;
    const copy = this.#copy;
    let at = this.#offset;
    while (end - at >= prefix) {
      const size =
        prefix === 4
          ? ((segment[at]! << 24) |
              (segment[at + 1]! << 16) |
              (segment[at + 2]! << 8) |
              segment[at + 3]!) >>>
            0
          : (segment[at]! << 8) | segment[at + 1]!;
      if (size > this.maxFrameBytes || end - at - prefix < size) break; // #take decides
      const from = at + prefix;
      at = from + size;
      frames.push(size === 0 ? EMPTY : copy ? segment.slice(from, at) : segment.subarray(from, at));
    }
    this.#buffered -= at - this.#offset;
    this.#offset = at;
    if (at === end) this.#advance();
  }

  /** The next whole frame (a view, or a copy when `copy`), or undefined. */
  #take(copy: boolean): Uint8Array | undefined {
    const prefix = this.prefixBytes;
    if (this.#buffered < prefix) return undefined;
    const segment = this.#segments[this.#head] as Uint8Array;
    const at = this.#offset;
    const available = segment.length - at;
    const size =
      available < prefix
        ? this.#readSize()
        : prefix === 4
          ? ((segment[at]! << 24) |
              (segment[at + 1]! << 16) |
              (segment[at + 2]! << 8) |
              segment[at + 3]!) >>>
            0
          : (segment[at]! << 8) | segment[at + 1]!;
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
    const total = prefix + size;
    if (this.#buffered < total) return undefined;
    this.#buffered -= total;
    if (available >= total) {
      // The common case: the frame lies inside one segment.
      const from = at + prefix;
      this.#offset = from + size;
      if (this.#offset === segment.length) this.#advance();
      if (size === 0) return EMPTY;
      return copy ? segment.slice(from, from + size) : segment.subarray(from, from + size);
    }
    return this.#gather(size);
  }

  /** A frame that spans segments, gathered once (apart from #take, which stays small to inline). */
  #gather(size: number): Uint8Array {
    this.#skip(this.prefixBytes);
    const frame = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const piece = this.#segments[this.#head] as Uint8Array;
      const n = Math.min(piece.length - this.#offset, size - filled);
      frame.set(piece.subarray(this.#offset, this.#offset + n), filled);
      filled += n;
      this.#offset += n;
      if (this.#offset === piece.length) this.#advance();
    }
    return frame;
  }

  /** The length prefix at the read position, read across segments (prefixBytes are buffered). */
  #readSize(): number {
    let size = 0;
    let index = this.#head;
    let at = this.#offset;
    for (let i = 0; i < this.prefixBytes; i++) {
      let segment = this.#segments[index] as Uint8Array;
      while (at >= segment.length) {
        index++;
        at = 0;
        segment = this.#segments[index] as Uint8Array;
      }
      size = size * 256 + segment[at++]!;
    }
    return size;
  }

  /** Moves the read position `n` bytes on, across segments. */
  #skip(n: number): void {
    while (n > 0) {
      const segment = this.#segments[this.#head] as Uint8Array;
      const step = Math.min(segment.length - this.#offset, n);
      this.#offset += step;
      n -= step;
      if (this.#offset === segment.length) this.#advance();
    }
  }

  /** The head segment is all read: on to the next. */
  #advance(): void {
    this.#segments[this.#head] = EMPTY;
    this.#head++;
    this.#offset = 0;
    if (this.#head === this.#segments.length) this.#drop();
  }

  #drop(): void {
    this.#segments = [];
    this.#head = 0;
    this.#offset = 0;
    this.#buffered = 0;
    this.#borrowed = false;
  }
}
