// permessage-deflate (RFC 7692 §7.2) with node:zlib's synchronous raw deflate/inflate. Context
// takeover keeps the last window of data as a preset dictionary for the next message instead of a
// live zlib stream: the same bytes on the wire, sync (messages stay in order), and 2^bits bytes
// per direction per connection instead of zlib's few hundred KiB of stream state.
import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { CloseCode } from "./constants.ts";
import type { DeflateParams } from "./deflate-negotiation.ts";
import { WebSocketError } from "./errors.ts";

/** §7.2.1: a sync flush ends in an empty stored block, whose 4 tail bytes are left off the wire. */
const TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff);

/** How eagerly outgoing messages are compressed. */
export interface CompressionOptions {
  /** Messages smaller than this go uncompressed (a deflate block header costs more than it saves). @default 64 */
  thresholdBytes?: number;
  /** zlib level 1 (fast) to 9 (small). @default 6 */
  level?: number;
}

/** One connection's compressor and decompressor for the agreed parameters (both directions). */
export class PerMessageDeflate {
  readonly #ownBits: number;
  readonly #ownTakeover: boolean;
  readonly #peerBits: number;
  readonly #peerTakeover: boolean;
  readonly #threshold: number;
  readonly #level: number;
  #ownWindow: Uint8Array = new Uint8Array(0);
  #peerWindow: Uint8Array = new Uint8Array(0);

  constructor(params: DeflateParams, role: "server" | "client", options: CompressionOptions = {}) {
    const server = role === "server";
    this.#ownBits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    this.#ownTakeover = !(server ? params.serverNoContextTakeover : params.clientNoContextTakeover);
    this.#peerBits = server ? params.clientMaxWindowBits : params.serverMaxWindowBits;
    this.#peerTakeover = !(server
      ? params.clientNoContextTakeover
      : params.serverNoContextTakeover);
    this.#threshold = options.thresholdBytes ?? 64;
    this.#level = options.level ?? 6;
  }

  /**
   * The compressed payload, or undefined to send `data` as it is (RSV1 clear), which is always
   * allowed: below the threshold, and when the agreed window is 8 bits, which zlib cannot keep to
   * (it compresses with 9 instead, and the peer's 256-byte window could not follow).
   */
  compress(data: Uint8Array): Uint8Array | undefined {
    if (data.length < this.#threshold || this.#ownBits < 9) return undefined;
    const out = deflateRawSync(data, {
      windowBits: this.#ownBits,
      level: this.#level,
      finishFlush: constants.Z_SYNC_FLUSH,
      ...(this.#ownTakeover && this.#ownWindow.length > 0 ? { dictionary: this.#ownWindow } : {}),
    });
    if (this.#ownTakeover) this.#ownWindow = slide(this.#ownWindow, data, 1 << this.#ownBits);
    return endsWithTail(out) ? out.subarray(0, out.length - 4) : out;
  }

  /**
   * Inflates one message, never producing more than `maxBytes`: zlib stops at the limit, so a
   * small compressed message cannot expand into gigabytes first (→ 1009). Corrupt data → 1007.
   */
  readonly inflate = (compressed: Uint8Array, maxBytes: number): Uint8Array => {
    const input = new Uint8Array(compressed.length + 4);
    input.set(compressed);
    input.set(TAIL, compressed.length);
    let out: Uint8Array;
    try {
      out = inflateRawSync(input, {
        windowBits: 15, // a wider window reads any narrower one; only the peer's limit matters
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: Math.max(1, maxBytes),
        ...(this.#peerTakeover && this.#peerWindow.length > 0
          ? { dictionary: this.#peerWindow }
          : {}),
      });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        throw new WebSocketError(
          "MESSAGE_TOO_LARGE",
          `a compressed message inflates past ${maxBytes} bytes`,
          CloseCode.MESSAGE_TOO_BIG,
        );
      }
      throw new WebSocketError(
        "INFLATE_FAILED",
        `bad compressed data: ${(error as Error).message}`,
        CloseCode.INVALID_PAYLOAD,
      );
    }
    if (out.length > maxBytes) {
      throw new WebSocketError(
        "MESSAGE_TOO_LARGE",
        `a compressed message inflates past ${maxBytes} bytes`,
        CloseCode.MESSAGE_TOO_BIG,
      );
    }
    if (this.#peerTakeover) this.#peerWindow = slide(this.#peerWindow, out, 1 << this.#peerBits);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  };
}

/** The last `size` bytes of window + data: what the next message may refer back to. */
function slide(window: Uint8Array, data: Uint8Array, size: number): Uint8Array {
  if (data.length >= size) return data.slice(data.length - size);
  const keep = Math.min(window.length, size - data.length);
  const next = new Uint8Array(keep + data.length);
  next.set(window.subarray(window.length - keep));
  next.set(data, keep);
  return next;
}

function endsWithTail(out: Uint8Array): boolean {
  const n = out.length;
  return (
    n >= 4 && out[n - 4] === 0 && out[n - 3] === 0 && out[n - 2] === 0xff && out[n - 1] === 0xff
  );
}
