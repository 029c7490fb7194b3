// WebSocketSession: one WebSocket peer after the handshake (RFC 6455 §5–§7), over a framing
// Connection in bytes() mode: messages, ping/pong and keepalive, the close handshake, limits.
import { type ClosePayload, encodeClosePayload } from "./close-payload.ts";
import { CloseCode, CODEC_DEFAULTS, FrameOpcode, MAX_CONTROL_PAYLOAD } from "./constants.ts";
import { type Incoming, WebSocketDecoder } from "./decoder.ts";
import type { DeflateParams } from "./deflate-negotiation.ts";
import { WebSocketError } from "./errors.ts";
import { encodeFrame } from "./frame-encoder.ts";
import { type CompressionOptions, PerMessageDeflate } from "./permessage-deflate.ts";

/**
 * What a session needs of its connection: framing's `Connection` (bytes() protocol) has it all.
 * The owner of the connection's `onMessage` forwards each chunk to `session.receive(chunk)`.
 */
export interface ByteConnection {
  sendBytes(bytes: Uint8Array): boolean;
  /** Writes at once (no copy) when nothing is queued; else queues as sendBytes. */
  sendBytesNow(bytes: Uint8Array): boolean;
  close(): void;
  destroy(error?: Error): void;
  readonly closed: Promise<{ error?: Error }>;
  readonly isClosed: boolean;
  readonly queuedBytes: number;
  drained(): Promise<void>;
  reportPartialInput(bytes: number): void;
  setIdleTimeout(ms: number): void;
  hold(): void;
  proceed(): void;
}

/** A message: text as a string, binary as bytes. */
export type MessageData = string | Uint8Array;

/** How the session ended. `code` 1006 (ABNORMAL) when no close frame was received. */
export interface CloseEvent {
  code: number;
  reason: string;
  /** Both close frames were exchanged before the TCP connection closed. */
  wasClean: boolean;
  /** Why it failed: a protocol violation by the peer, a timeout, a transport error. */
  error?: Error;
}

/** Input limits of a session (the codec's, with the same defaults). */
export interface SessionLimits {
  /** A whole message, after decompression. @default 1 MiB */
  maxMessageBytes?: number;
  /** One frame's payload. @default 1 MiB */
  maxFrameBytes?: number;
  /** Frames in one fragmented message. @default 1024 */
  maxFragments?: number;
}

/** What a session is told after the handshake, and its callbacks. */
export interface SessionOptions extends SessionLimits {
  /** "server": client frames must be masked and ours are not; "client": the reverse. */
  role: "server" | "client";
  /** The agreed permessage-deflate parameters (from the handshake), if any. */
  deflate?: DeflateParams | undefined;
  compression?: CompressionOptions;
  /** The agreed subprotocol, for the application to read. */
  protocol?: string | undefined;
  /** Send a ping this often; 0 = never. @default 30000 */
  pingIntervalMs?: number;
  /** A ping not answered by a pong within this long drops the peer. @default 10000 */
  pongTimeoutMs?: number;
  /** After our close frame, how long the peer has to answer with its own. @default 5000 */
  closeTimeoutMs?: number;
  /**
   * The connection's idle timeout while the session runs (the HTTP keep-alive one no longer
   * fits); keepalive pings already find dead peers. 0 = off. @default 0
   */
  idleTimeoutMs?: number;
  /** Each message as it completes. Without it: pull mode, read with `next()`. */
  onMessage?: (session: WebSocketSession, data: MessageData) => void;
  onPing?: (session: WebSocketSession, data: Uint8Array) => void;
  onPong?: (session: WebSocketSession, data: Uint8Array) => void;
  /** Once, when the TCP connection has closed. */
  onClose?: (session: WebSocketSession, event: CloseEvent) => void;
}

/** Limits and timers when none are given. */
export const SESSION_DEFAULTS = {
  ...CODEC_DEFAULTS,
  pingIntervalMs: 30_000,
  pongTimeoutMs: 10_000,
  closeTimeoutMs: 5_000,
  idleTimeoutMs: 0,
};

/** Pull mode: past this many unread messages the connection stops delivering input. */
const MAX_UNREAD_MESSAGES = 256;

const encoder = new TextEncoder();

/** @internal for WebSocketRoom: holds a shared frame for the session's next coalesced write. */
export let holdShared: (session: WebSocketSession, frame: Uint8Array) => boolean;
/** @internal for WebSocketRoom: the frames held for the session, oldest first (do not keep). */
export let heldFrames: (session: WebSocketSession) => readonly Uint8Array[];
/**
 * @internal for WebSocketRoom: writes `bytes` (the held frames, joined or the only one) at once
 * and forgets the held frames.
 */
export let writeHeld: (session: WebSocketSession, bytes: Uint8Array) => void;

/** One WebSocket peer after the handshake, over a framing Connection in bytes() mode. */
export class WebSocketSession {
  readonly connection: ByteConnection;
  readonly role: "server" | "client";
  readonly protocol: string | undefined;
  /** The agreed permessage-deflate parameters, or undefined. */
  readonly deflate: DeflateParams | undefined;
  /** Resolves once, when the TCP connection has closed. */
  readonly closed: Promise<CloseEvent>;

  readonly #options: SessionOptions;
  readonly #decoder: WebSocketDecoder;
  readonly #compressor: PerMessageDeflate | undefined;
  /** "open" → "closing" (our close frame is out) → "closed" (TCP is gone). */
  #state: "open" | "closing" | "closed" = "open";
  #peerClose: ClosePayload | undefined;
  #error: Error | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #pongTimer: ReturnType<typeof setTimeout> | undefined;
  #unread: MessageData[] = [];
  #readers: ((data: MessageData | undefined) => void)[] = [];
  #holding = false;
  /**
   * Frames a WebSocketRoom holds for this peer until its next coalesced write (shared with the
   * room's other members, never copied per peer). Every other send writes them first: order holds.
   */
  #held: Uint8Array[] = [];
  #heldBytes = 0;

  static {
    holdShared = (session, frame) => {
      if (session.#state !== "open") return false;
      session.#held.push(frame);
      session.#heldBytes += frame.length;
      return true;
    };
    heldFrames = (session) => session.#held;
    writeHeld = (session, bytes) => {
      session.#held.length = 0;
      session.#heldBytes = 0;
      if (session.#state !== "closed") session.connection.sendBytesNow(bytes);
    };
  }

  constructor(connection: ByteConnection, options: SessionOptions) {
    this.connection = connection;
    this.role = options.role;
    this.protocol = options.protocol;
    this.deflate = options.deflate;
    this.#options = options;
    this.#compressor = options.deflate
      ? new PerMessageDeflate(options.deflate, options.role, options.compression)
      : undefined;
    this.#decoder = new WebSocketDecoder({
      role: options.role,
      maxMessageBytes: options.maxMessageBytes,
      maxFrameBytes: options.maxFrameBytes,
      maxFragments: options.maxFragments,
      inflate: this.#compressor?.inflate,
    });
    for (const name of [
      "pingIntervalMs",
      "pongTimeoutMs",
      "closeTimeoutMs",
      "idleTimeoutMs",
    ] as const) {
      const value = options[name];
      if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
        throw new RangeError(`bad ${name}: ${value}`);
      }
    }
    connection.setIdleTimeout(options.idleTimeoutMs ?? SESSION_DEFAULTS.idleTimeoutMs);
    const pingIntervalMs = options.pingIntervalMs ?? SESSION_DEFAULTS.pingIntervalMs;
    if (pingIntervalMs > 0) this.#pingTimer = setInterval(() => this.#keepalive(), pingIntervalMs);
    this.closed = connection.closed.then(({ error }) => this.#finish(error));
  }

  /** "open", "closing" (close frame sent, waiting for the peer's) or "closed". */
  get readyState(): "open" | "closing" | "closed" {
    return this.#state;
  }

  /** Bytes waiting to be written to this peer: wait for `drained()` when it grows. */
  get queuedBytes(): number {
    return this.connection.queuedBytes + this.#heldBytes;
  }

  drained(): Promise<void> {
    this.#flushHeld();
    return this.connection.drained();
  }

  /** Bytes from the connection (the owner of its onMessage forwards every chunk here). */
  receive(chunk: Uint8Array): void {
    if (this.#state === "closed") return;
    let events: Incoming[];
    try {
      events = this.#decoder.push(chunk);
    } catch (error) {
      // Not a peer's fault (a bug, or zlib failing in an unexpected way): 1011.
      this.#fail(new WebSocketError("INTERNAL_ERROR", String(error), CloseCode.INTERNAL_ERROR));
      return;
    }
    for (const event of events) this.#handle(event);
    const failure = this.#decoder.failure;
    if (failure) {
      this.#fail(failure);
      return;
    }
    const decoder = this.#decoder;
    // Framing's message deadline and input budget see the incomplete frame or message.
    this.connection.reportPartialInput(decoder.isPartial ? Math.max(1, decoder.bufferedBytes) : 0);
  }

  /** Sends one message: a string as text, bytes as binary. False once closing or if the queue overflowed. */
  send(data: MessageData): boolean {
    if (this.#state !== "open") return false;
    const text = typeof data === "string";
    const payload = text ? encoder.encode(data) : data;
    const compressed = this.#compressor?.compress(payload);
    return this.#sendFrame(
      text ? FrameOpcode.TEXT : FrameOpcode.BINARY,
      compressed ?? payload,
      compressed !== undefined,
    );
  }

  /**
   * Sends a frame already encoded with `encodeFrame` (from `@netkit/websocket/codec`), as it is:
   * a fan-out encodes a message once and hands the same bytes to every server session instead of
   * framing it again per peer. Server sessions only (a client's frames need a fresh mask each). A
   * close frame, a masked frame, or RSV1 without permessage-deflate agreed is refused with a
   * RangeError; an uncompressed frame is valid whatever permessage-deflate agreed. False once
   * closing or if the queue overflowed.
   */
  sendFrame(frame: Uint8Array): boolean {
    if (this.role !== "server") {
      throw new TypeError("sendFrame is for server sessions: a client's frames need a fresh mask");
    }
    const first = frame[0] ?? 0;
    if (
      frame.length < 2 ||
      (first & 0x0f) === FrameOpcode.CLOSE || // close() runs the handshake; a raw one would skip it
      (frame[1]! & 0x80) !== 0 ||
      ((first & 0x40) !== 0 && this.deflate === undefined)
    ) {
      throw new RangeError("sendFrame takes an unmasked, non-close frame (RSV1 only with deflate)");
    }
    if (this.#state !== "open") return false;
    this.#flushHeld();
    return this.connection.sendBytes(frame);
  }

  /** Sends a ping (at most 125 bytes of payload). */
  ping(data: MessageData = new Uint8Array(0)): boolean {
    return this.#sendControl(FrameOpcode.PING, data);
  }

  /** Sends an unsolicited pong (a one-way heartbeat, §5.5.3). */
  pong(data: MessageData = new Uint8Array(0)): boolean {
    return this.#sendControl(FrameOpcode.PONG, data);
  }

  /**
   * Starts the close handshake: sends a close frame, then waits up to `closeTimeoutMs` for the
   * peer's before closing the TCP connection. Without a code the frame has no body.
   */
  close(code?: number, reason = ""): void {
    if (this.#state !== "open") return;
    const payload = encodeClosePayload(code, reason); // throws on a code that may not be sent
    this.#sendClose(payload);
    this.#armCloseTimer();
  }

  /** Pull mode: the next message, or undefined once the session has closed. */
  next(): Promise<MessageData | undefined> {
    const data = this.#unread.shift();
    if (data !== undefined) {
      if (this.#holding && this.#unread.length < MAX_UNREAD_MESSAGES / 2) {
        this.#holding = false;
        this.connection.proceed();
      }
      return Promise.resolve(data);
    }
    if (this.#state === "closed") return Promise.resolve(undefined);
    return new Promise((resolve) => this.#readers.push(resolve));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<MessageData> {
    for (;;) {
      const data = await this.next();
      if (data === undefined) return;
      yield data;
    }
  }

  // ---- internals -----------------------------------------------------------------------------

  #handle(event: Incoming): void {
    switch (event.type) {
      case "text":
      case "binary":
        this.#deliver(event.data);
        return;
      case "ping":
        if (this.#state === "open") this.#sendControl(FrameOpcode.PONG, event.data);
        this.#options.onPing?.(this, event.data);
        return;
      case "pong":
        clearTimeout(this.#pongTimer);
        this.#pongTimer = undefined;
        this.#options.onPong?.(this, event.data);
        return;
      case "close":
        this.#peerClose = { code: event.code, reason: event.reason };
        if (this.#state === "open") {
          // §5.5.1: answer with a close frame, echoing the status code.
          this.#sendClose(
            event.code === CloseCode.NO_STATUS ? new Uint8Array(0) : encodeClosePayload(event.code),
          );
        }
        this.#closeHandshakeDone();
    }
  }

  #deliver(data: MessageData): void {
    const onMessage = this.#options.onMessage;
    if (onMessage) {
      try {
        onMessage(this, data);
      } catch (error) {
        this.#fail(
          new WebSocketError(
            "HANDLER_FAILED",
            `onMessage threw: ${error}`,
            CloseCode.INTERNAL_ERROR,
          ),
        );
      }
      return;
    }
    const reader = this.#readers.shift();
    if (reader) {
      reader(data);
      return;
    }
    this.#unread.push(data);
    if (!this.#holding && this.#unread.length >= MAX_UNREAD_MESSAGES) {
      this.#holding = true;
      this.connection.hold(); // the socket stops being read once framing's held input fills
    }
  }

  /**
   * Both close frames are out: §7.1.1 has the server close TCP first; the client waits for that,
   * and closes itself only if the server does not within closeTimeoutMs.
   */
  #closeHandshakeDone(): void {
    if (this.role === "server") this.connection.close();
    else this.#armCloseTimer();
  }

  #armCloseTimer(): void {
    if (this.#closeTimer) return;
    const ms = this.#options.closeTimeoutMs ?? SESSION_DEFAULTS.closeTimeoutMs;
    this.#closeTimer = setTimeout(() => {
      this.#error ??= new WebSocketError("CLOSE_TIMEOUT", `no close from the peer within ${ms} ms`);
      this.connection.destroy();
    }, ms);
  }

  /** _Fail the WebSocket Connection_ (§7.1.7): say why in a close frame, then close TCP at once. */
  #fail(error: WebSocketError): void {
    this.#error ??= error;
    if (this.#state === "open") {
      const reason = error.message.length <= 100 ? error.message : "";
      this.#sendClose(encodeClosePayload(error.closeCode, reason));
    }
    this.connection.close();
  }

  #sendClose(payload: Uint8Array): void {
    this.#state = "closing";
    this.#stopKeepalive();
    this.#sendFrame(FrameOpcode.CLOSE, payload, false);
  }

  #sendControl(opcode: number, data: MessageData): boolean {
    if (this.#state !== "open") return false;
    const payload = typeof data === "string" ? encoder.encode(data) : data;
    if (payload.length > MAX_CONTROL_PAYLOAD)
      throw new RangeError("a control frame payload is at most 125 bytes");
    return this.#sendFrame(opcode, payload, false);
  }

  #sendFrame(opcode: number, payload: Uint8Array, rsv1: boolean): boolean {
    const mask = this.role === "client" ? crypto.getRandomValues(new Uint8Array(4)) : undefined;
    this.#flushHeld();
    return this.connection.sendBytes(encodeFrame(opcode, payload, { rsv1, mask }));
  }

  /** Writes what a room holds for this peer, ahead of anything sent after it. */
  #flushHeld(): void {
    const held = this.#held;
    if (held.length === 0) return;
    let bytes = held[0]!;
    if (held.length > 1) {
      bytes = new Uint8Array(this.#heldBytes);
      let at = 0;
      for (const frame of held) {
        bytes.set(frame, at);
        at += frame.length;
      }
    }
    writeHeld(this, bytes);
  }

  #keepalive(): void {
    if (this.#state !== "open" || this.#pongTimer) return;
    const ms = this.#options.pongTimeoutMs ?? SESSION_DEFAULTS.pongTimeoutMs;
    this.#pongTimer = setTimeout(() => {
      this.#error ??= new WebSocketError(
        "PONG_TIMEOUT",
        `no pong within ${ms} ms of a ping`,
        CloseCode.GOING_AWAY,
      );
      this.connection.destroy(); // a peer that does not answer would not read a close frame either
    }, ms);
    this.#sendControl(FrameOpcode.PING, new Uint8Array(0));
  }

  #stopKeepalive(): void {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongTimer);
    this.#pingTimer = undefined;
    this.#pongTimer = undefined;
  }

  #finish(transportError: Error | undefined): CloseEvent {
    this.#state = "closed";
    this.#held = [];
    this.#heldBytes = 0;
    this.#stopKeepalive();
    clearTimeout(this.#closeTimer);
    const error = this.#error ?? transportError;
    const peer = this.#peerClose;
    const event: CloseEvent = peer
      ? { code: peer.code, reason: peer.reason, wasClean: error === undefined }
      : { code: CloseCode.ABNORMAL, reason: "", wasClean: false };
    if (error) event.error = error;
    for (const reader of this.#readers.splice(0)) reader(undefined);
    this.#options.onClose?.(this, event);
    return event;
  }
}
