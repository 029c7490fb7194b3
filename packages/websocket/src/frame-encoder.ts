// Frame encoding (RFC 6455 §5.2): FIN/RSV/opcode, 7-, 16- or 64-bit length, the mask key, the payload.
import { applyMask } from "./masking.ts";

/** Header bits and the mask of an outgoing frame. */
export interface FrameOptions {
  /** Last frame of its message. @default true */
  fin?: boolean;
  /** RSV1: "this message is compressed" under permessage-deflate (RFC 7692 §6). @default false */
  rsv1?: boolean;
  /**
   * A 4-byte masking key: client frames must be masked (§5.3), server frames must not be. The
   * caller draws it from a strong random source (crypto.getRandomValues).
   */
  mask?: Uint8Array;
}

/** Header bytes for a payload of `length`: 2, plus 2 or 8 for the extended length, plus 4 for a mask. */
export function frameHeaderLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/** Writes the header into `target` at `offset`; returns the offset after it. */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  opcode: number,
  length: number,
  options: FrameOptions = {},
): number {
  const fin = options.fin ?? true;
  target[offset] = (fin ? 0x80 : 0) | (options.rsv1 ? 0x40 : 0) | (opcode & 0x0f);
  const maskBit = options.mask ? 0x80 : 0;
  let at = offset + 2;
  if (length < 126) {
    target[offset + 1] = maskBit | length;
  } else if (length < 0x10000) {
    target[offset + 1] = maskBit | 126;
    target[at++] = length >>> 8;
    target[at++] = length & 0xff;
  } else {
    target[offset + 1] = maskBit | 127;
    // 2^53 at most, so the high word fits a double's exact range.
    const high = Math.floor(length / 0x1_0000_0000);
    const view = new DataView(target.buffer, target.byteOffset + at, 8);
    view.setUint32(0, high);
    view.setUint32(4, length >>> 0);
    at += 8;
  }
  if (options.mask) {
    target.set(options.mask.subarray(0, 4), at);
    at += 4;
  }
  return at;
}

/** One whole frame: header, then the payload (masked when `options.mask` is given). */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  options: FrameOptions = {},
): Uint8Array {
  const headerLength = frameHeaderLength(payload.length, options.mask !== undefined);
  const frame = new Uint8Array(headerLength + payload.length);
  writeFrameHeader(frame, 0, opcode, payload.length, options);
  const body = frame.subarray(headerLength);
  if (options.mask) applyMask(payload, options.mask, body);
  else body.set(payload);
  return frame;
}
