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

/**
 * Turns any chunking of a frame stream into whole frames. Frames that lie inside one chunk are
 * copied out directly; a frame spanning chunks is gathered from its pieces once it is complete,
 * so every byte is copied at most twice whatever the chunk sizes (never quadratic).
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  readonly prefixBytes: PrefixBytes;
  readonly #copy: boolean;
  /** Pieces of the incomplete frame at the end of the stream so far (copies: chunks may be reused). */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Payload size of the incomplete frame once its header is known, else -1. */
  #size = -1;
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

  /** Bytes held for a frame that is not complete yet. */
  get bufferedBytes(): number {
    return this.#pendingBytes;
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
    try {
      this.#decode(chunk, frames);
    } catch (error) {
      this.#failure = error as FramingError;
      if (frames.length === 0) throw error;
    }
    return frames;
  }

  #decode(chunk: Uint8Array, frames: Uint8Array[]): void {
    let offset = 0;
    if (this.#pendingBytes > 0) {
      offset = this.#continuePending(chunk, frames);
      if (offset < 0) return; // the chunk was all used by the pending frame
    }
    // Fast path: whole frames inside this chunk.
    const end = chunk.length;
    const prefix = this.prefixBytes;
    while (end - offset >= prefix) {
      const size =
        prefix === 4
          ? ((chunk[offset]! << 24) |
              (chunk[offset + 1]! << 16) |
              (chunk[offset + 2]! << 8) |
              chunk[offset + 3]!) >>>
            0
          : (chunk[offset]! << 8) | chunk[offset + 1]!;
      this.#check(size);
      const start = offset + prefix;
      if (end - start < size) break;
      frames.push(
        this.#copy ? chunk.slice(start, start + size) : chunk.subarray(start, start + size),
      );
      offset = start + size;
    }
    if (offset < end) this.#stash(chunk.slice(offset));
  }

  /** Call at end of stream: throws TRUNCATED_FRAME if a partial frame is buffered. */
  finish(): void {
    if (this.#failure) throw this.#failure;
    if (this.#pendingBytes === 0) return;
    const have = this.#pendingBytes;
    const want = this.prefixBytes + Math.max(this.#size, 0);
    this.#reset();
    throw new FramingError(
      "TRUNCATED_FRAME",
      `stream ended inside a frame (${have} of ${want} bytes)`,
      have,
      want,
    );
  }

  #check(size: number): void {
    if (size > this.maxFrameBytes) {
      this.#reset();
      throw new FramingError(
        "FRAME_TOO_LARGE",
        `frame of ${size} bytes is over the ${this.maxFrameBytes}-byte limit`,
        size,
        this.maxFrameBytes,
      );
    }
  }

  #stash(piece: Uint8Array): void {
    this.#pending.push(piece);
    this.#pendingBytes += piece.length;
    if (this.#size < 0 && this.#pendingBytes >= this.prefixBytes) {
      this.#size = this.#readPendingHeader();
      this.#check(this.#size);
    }
  }

  /**
   * Adds as much of `chunk` as the pending frame needs. Returns the offset where the rest of the
   * chunk starts, or -1 when the whole chunk went into a still-incomplete frame.
   */
  #continuePending(chunk: Uint8Array, frames: Uint8Array[]): number {
    let offset = 0;
    if (this.#size < 0) {
      const take = Math.min(this.prefixBytes - this.#pendingBytes, chunk.length);
      this.#stash(chunk.slice(0, take));
      offset = take;
      if (this.#size < 0) return -1;
    }
    const total = this.prefixBytes + this.#size;
    const take = Math.min(total - this.#pendingBytes, chunk.length - offset);
    if (this.#pendingBytes + take < total) {
      if (take > 0) this.#stash(chunk.slice(offset, offset + take));
      return -1;
    }
    // Complete: gather the payload once.
    const frame = new Uint8Array(this.#size);
    let at = 0;
    let skip: number = this.prefixBytes;
    for (const piece of this.#pending) {
      if (skip >= piece.length) {
        skip -= piece.length;
        continue;
      }
      frame.set(skip > 0 ? piece.subarray(skip) : piece, at);
      at += piece.length - skip;
      skip = 0;
    }
    frame.set(chunk.subarray(offset, offset + take), at);
    frames.push(frame);
    this.#reset();
    return offset + take;
  }

  #readPendingHeader(): number {
    let size = 0;
    let got = 0;
    for (const piece of this.#pending) {
      for (let i = 0; i < piece.length && got < this.prefixBytes; i++, got++) {
        size = size * 256 + piece[i]!;
      }
      if (got === this.prefixBytes) break;
    }
    return size;
  }

  #reset(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#size = -1;
  }
}
