// WebSocketDecoder: bytes in any chunking → whole messages and control frames (RFC 6455 §5, §6.2).
// Every header is judged before its payload is buffered; text is validated as it arrives.
import { decodeClosePayload } from "./close-payload.ts";
import {
  CloseCode,
  CODEC_DEFAULTS,
  FrameOpcode,
  isControlOpcode,
  MAX_CONTROL_PAYLOAD,
} from "./constants.ts";
import { WebSocketError } from "./errors.ts";
import { applyMask } from "./masking.ts";
import { Utf8Validator } from "./utf8-validator.ts";

/** What the decoder hands out, in stream order. */
export type Incoming =
  | { type: "text"; data: string }
  | { type: "binary"; data: Uint8Array }
  | { type: "ping"; data: Uint8Array }
  | { type: "pong"; data: Uint8Array }
  /** `code` is 1005 (NO_STATUS) when the frame had none. Nothing is decoded after it. */
  | { type: "close"; code: number; reason: string };

/**
 * Inflates one compressed message (RFC 7692 §7.2.2: the caller appends 00 00 FF FF) to at most
 * `maxBytes`, or throws a WebSocketError (1009 past the limit, 1007 corrupt data). Injected so
 * this module stays pure: @netkit/websocket's PerMessageDeflate provides one over node:zlib.
 */
export type Inflate = (compressed: Uint8Array, maxBytes: number) => Uint8Array;

/** WebSocketDecoder's role and limits. */
export interface DecoderOptions {
  /**
   * Whose frames these are read by. A "server" reads client frames, which must be masked; a
   * "client" reads server frames, which must not be (§5.1).
   */
  role: "server" | "client";
  /** @default 1 MiB */
  maxMessageBytes?: number;
  /** @default 1 MiB */
  maxFrameBytes?: number;
  /** @default 1024 */
  maxFragments?: number;
  /** Given when permessage-deflate was negotiated: RSV1 then marks a compressed message. */
  inflate?: Inflate;
}

// ignoreBOM keeps a leading U+FEFF: it is part of the message, not a marker to strip.
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
const EMPTY = new Uint8Array(0);

/** The longest header: 2 bytes, 8 of extended length, 4 of mask key. */
const MAX_HEADER_BYTES = 14;

/** Decodes a byte stream of frames into messages and control frames, judging each header first. */
export class WebSocketDecoder {
  readonly #expectMasked: boolean;
  readonly #maxMessageBytes: number;
  readonly #maxFrameBytes: number;
  readonly #maxFragments: number;
  readonly #inflate: Inflate | undefined;

  /** The first fatal error; after it nothing more is decoded. */
  failure: WebSocketError | undefined;
  /** A close frame was decoded: what follows it is ignored (§5.5.1). */
  isClosed = false;

  // The frame being read.
  readonly #head = new Uint8Array(MAX_HEADER_BYTES);
  #headLength = 0;
  #inPayload = false;
  #fin = false;
  #opcode = 0;
  #masked = false;
  readonly #mask = new Uint8Array(4);
  #payloadLength = 0;
  #payloadReceived = 0;

  // The data message being assembled (its frames may be interleaved with control frames).
  #messageOpcode = -1;
  #compressed = false;
  #fragments = 0;
  #messageBytes = 0;
  #messagePieces: Uint8Array[] = [];
  readonly #utf8 = new Utf8Validator();

  // The control frame being read (≤ 125 bytes).
  #controlPieces: Uint8Array[] = [];

  constructor(options: DecoderOptions) {
    if (options.role !== "server" && options.role !== "client") {
      throw new TypeError('role must be "server" or "client"');
    }
    this.#expectMasked = options.role === "server";
    this.#maxMessageBytes = positive(
      options.maxMessageBytes,
      CODEC_DEFAULTS.maxMessageBytes,
      "maxMessageBytes",
    );
    this.#maxFrameBytes = positive(
      options.maxFrameBytes,
      CODEC_DEFAULTS.maxFrameBytes,
      "maxFrameBytes",
    );
    this.#maxFragments = positive(
      options.maxFragments,
      CODEC_DEFAULTS.maxFragments,
      "maxFragments",
    );
    this.#inflate = options.inflate;
  }

  /** True while part of a frame or message is held: the peer owes the rest. */
  get isPartial(): boolean {
    return this.#headLength > 0 || this.#inPayload || this.#messageOpcode >= 0;
  }

  /** Bytes held of incomplete frames and messages. */
  get bufferedBytes(): number {
    let held = this.#headLength + this.#messageBytes;
    for (const piece of this.#controlPieces) held += piece.length;
    return held;
  }

  /**
   * Decodes what `chunk` completes. On a protocol violation `failure` is set and the events
   * before it are still returned; the caller then closes with `failure.closeCode`. The chunk is
   * not kept: what is held is copied.
   */
  push(chunk: Uint8Array): Incoming[] {
    const events: Incoming[] = [];
    if (this.failure || this.isClosed) return events;
    try {
      this.#decode(chunk, events);
    } catch (error) {
      if (!(error instanceof WebSocketError)) throw error;
      this.failure = error;
    }
    return events;
  }

  #decode(chunk: Uint8Array, events: Incoming[]): void {
    let at = 0;
    while (at < chunk.length && !this.isClosed) {
      if (!this.#inPayload) {
        at = this.#readHeader(chunk, at);
        if (!this.#inPayload) return; // the header is still incomplete
        if (this.#payloadLength > 0) continue; // an empty frame ends here
      } else {
        const take = Math.min(this.#payloadLength - this.#payloadReceived, chunk.length - at);
        this.#takePayload(chunk.subarray(at, at + take));
        at += take;
      }
      if (this.#payloadReceived === this.#payloadLength) this.#endFrame(events);
    }
  }

  /** Gathers header bytes, judging each part as soon as it is known; returns the new offset. */
  #readHeader(chunk: Uint8Array, at: number): number {
    const head = this.#head;
    while (at < chunk.length) {
      head[this.#headLength++] = chunk[at++] as number;
      if (this.#headLength < 2) continue;
      if (this.#headLength === 2) this.#checkFirstBytes();
      const len7 = (head[1] as number) & 0x7f;
      const lengthBytes = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      const total = 2 + lengthBytes + (this.#masked ? 4 : 0);
      if (this.#headLength === 2 + lengthBytes) this.#checkLength(len7, lengthBytes);
      if (this.#headLength < total) continue;
      if (this.#masked) this.#mask.set(head.subarray(2 + lengthBytes, total));
      this.#headLength = 0;
      this.#inPayload = true;
      this.#payloadReceived = 0;
      return at;
    }
    return at;
  }

  /** FIN, RSV, opcode, mask bit and 7-bit length: everything is checked before reading on. */
  #checkFirstBytes(): void {
    const b0 = this.#head[0] as number;
    const b1 = this.#head[1] as number;
    this.#fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    this.#opcode = opcode;
    this.#masked = (b1 & 0x80) !== 0;
    if (b0 & 0x30) fail("RESERVED_BITS", "RSV2/RSV3 set, and no extension defines them");
    const control = isControlOpcode(opcode);
    if (control) {
      if (
        opcode !== FrameOpcode.CLOSE &&
        opcode !== FrameOpcode.PING &&
        opcode !== FrameOpcode.PONG
      ) {
        fail("RESERVED_OPCODE", `reserved control opcode 0x${opcode.toString(16)}`);
      }
      if (!this.#fin) fail("FRAGMENTED_CONTROL", "a control frame must not be fragmented");
      if (rsv1) fail("RESERVED_BITS", "RSV1 set on a control frame");
      if ((b1 & 0x7f) > MAX_CONTROL_PAYLOAD) {
        fail("CONTROL_TOO_LONG", `control frame of ${b1 & 0x7f}+ bytes: at most 125`);
      }
    } else if (opcode === FrameOpcode.CONTINUATION) {
      if (this.#messageOpcode < 0) fail("UNEXPECTED_CONTINUATION", "continuation with no message");
      if (rsv1) fail("RESERVED_BITS", "RSV1 set on a continuation frame"); // RFC 7692 §6.1
    } else if (opcode === FrameOpcode.TEXT || opcode === FrameOpcode.BINARY) {
      if (this.#messageOpcode >= 0) {
        fail("EXPECTED_CONTINUATION", "a new message began before the last one ended");
      }
      if (rsv1 && !this.#inflate)
        fail("RESERVED_BITS", "RSV1 set, and no extension was negotiated");
      this.#messageOpcode = opcode;
      this.#compressed = rsv1;
      this.#fragments = 0;
      this.#messageBytes = 0;
      this.#utf8.reset();
    } else {
      fail("RESERVED_OPCODE", `reserved data opcode 0x${opcode.toString(16)}`);
    }
    if (this.#masked !== this.#expectMasked) {
      if (this.#expectMasked) fail("UNMASKED_FRAME", "a client frame must be masked");
      fail("MASKED_FRAME", "a server frame must not be masked");
    }
    if (!control && ++this.#fragments > this.#maxFragments) {
      fail(
        "TOO_MANY_FRAGMENTS",
        `more than ${this.#maxFragments} frames in one message`,
        CloseCode.MESSAGE_TOO_BIG,
      );
    }
  }

  /** The payload length, refused before any payload is buffered. */
  #checkLength(len7: number, lengthBytes: number): void {
    let length = len7;
    if (lengthBytes === 2) {
      length = ((this.#head[2] as number) << 8) | (this.#head[3] as number);
    } else if (lengthBytes === 8) {
      const view = new DataView(this.#head.buffer, 2, 8);
      const high = view.getUint32(0);
      if (high & 0x8000_0000) fail("LENGTH_HIGH_BIT", "the 64-bit length has its high bit set"); // §5.2
      if (high > 0x1f_ffff) {
        fail("FRAME_TOO_LARGE", "a frame longer than 2^53 bytes", CloseCode.MESSAGE_TOO_BIG);
      }
      length = high * 0x1_0000_0000 + view.getUint32(4);
    }
    this.#payloadLength = length;
    if (isControlOpcode(this.#opcode)) return; // ≤ 125, checked with the first bytes
    if (length > this.#maxFrameBytes) {
      fail(
        "FRAME_TOO_LARGE",
        `frame of ${length} bytes, limit ${this.#maxFrameBytes}`,
        CloseCode.MESSAGE_TOO_BIG,
      );
    }
    if (this.#messageBytes + length > this.#maxMessageBytes) {
      fail(
        "MESSAGE_TOO_LARGE",
        `message of ${this.#messageBytes + length}+ bytes, limit ${this.#maxMessageBytes}`,
        CloseCode.MESSAGE_TOO_BIG,
      );
    }
  }

  /** Copies (and unmasks) a piece of payload; text is validated piece by piece. */
  #takePayload(source: Uint8Array): void {
    const piece = new Uint8Array(source.length);
    if (this.#masked) applyMask(source, this.#mask, piece, this.#payloadReceived);
    else piece.set(source);
    this.#payloadReceived += piece.length;
    if (isControlOpcode(this.#opcode)) {
      this.#controlPieces.push(piece);
      return;
    }
    this.#messagePieces.push(piece);
    this.#messageBytes += piece.length;
    if (this.#messageOpcode === FrameOpcode.TEXT && !this.#compressed) this.#checkText(piece);
  }

  #checkText(bytes: Uint8Array): void {
    const bad = this.#utf8.push(bytes);
    if (bad >= 0) {
      fail(
        "INVALID_UTF8",
        `text is not UTF-8 (byte 0x${(bytes[bad] as number).toString(16)})`,
        CloseCode.INVALID_PAYLOAD,
      );
    }
  }

  #endFrame(events: Incoming[]): void {
    this.#inPayload = false;
    const opcode = this.#opcode;
    if (isControlOpcode(opcode)) {
      const data = concat(this.#controlPieces, this.#payloadLength);
      this.#controlPieces = [];
      if (opcode === FrameOpcode.PING) events.push({ type: "ping", data });
      else if (opcode === FrameOpcode.PONG) events.push({ type: "pong", data });
      else {
        events.push({ type: "close", ...decodeClosePayload(data) });
        this.isClosed = true;
      }
      return;
    }
    if (!this.#fin) return;
    let data = concat(this.#messagePieces, this.#messageBytes);
    const messageOpcode = this.#messageOpcode;
    const compressed = this.#compressed;
    this.#messagePieces = [];
    this.#messageBytes = 0;
    this.#messageOpcode = -1;
    if (compressed) {
      data = (this.#inflate as Inflate)(data, this.#maxMessageBytes);
      if (messageOpcode === FrameOpcode.TEXT) this.#checkText(data);
    }
    if (messageOpcode === FrameOpcode.BINARY) {
      events.push({ type: "binary", data });
      return;
    }
    if (!this.#utf8.isComplete) {
      fail("INVALID_UTF8", "text ends inside a character", CloseCode.INVALID_PAYLOAD);
    }
    events.push({ type: "text", data: textDecoder.decode(data) });
  }
}

function fail(
  code: WebSocketError["code"],
  message: string,
  closeCode: number = CloseCode.PROTOCOL_ERROR,
): never {
  throw new WebSocketError(code, message, closeCode);
}

/** Joins pieces; one piece is handed out as it is (it is already a private copy). */
function concat(pieces: Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1) return pieces[0] as Uint8Array;
  if (pieces.length === 0) return EMPTY.slice();
  const out = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < 1) throw new RangeError(`bad ${name}: ${value}`);
  return resolved;
}
