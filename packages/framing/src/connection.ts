// Connection: one framed peer over a Bun TCP socket — queued, coalesced writes and message reads.
import type { Socket } from "bun";
import { DEFAULT_MAX_INBOX_MESSAGES, DEFAULT_MAX_QUEUED_BYTES } from "./constants.ts";
import { FramingError } from "./errors.ts";
import { OutputBuffer } from "./output-buffer.ts";
import type { MessageDecoder, Protocol } from "./protocol.ts";
import { scheduleFlush } from "./write-scheduler.ts";

export interface ConnectionOptions {
  /** Outgoing bytes allowed to wait for a slow reader; past it the peer is dropped. @default 1 MiB */
  maxQueuedBytes?: number;
  /** Close a peer that sends nothing for this long; 0 disables. @default 0 */
  idleTimeoutMs?: number;
  /** How long `close()` waits for queued output to drain before dropping it. @default 5000 */
  closeTimeoutMs?: number;
}

export const CONNECTION_DEFAULTS = {
  maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES,
  idleTimeoutMs: 0,
  closeTimeoutMs: 5000,
} satisfies Required<ConnectionOptions>;

export interface ConnectionStats {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
}

/** Callbacks from the transport that owns the socket (listen or connect). */
export interface ConnectionHooks<In, Out> {
  /**
   * Push mode: every message, synchronously, as it is decoded. Without it: pull mode. A
   * Uint8Array message may be a view of the socket's chunk: use it (or copy it) before returning.
   */
  onMessage?: (connection: Connection<In, Out>, message: In) => void;
  /** A recoverable decode problem (a dropped over-long line). */
  onRecoverableError?: (connection: Connection<In, Out>, error: FramingError) => void;
  /**
   * The peer sent FIN, after its last message was delivered. In push mode the connection then
   * closes once its queue is flushed, so send anything still held back (batched output) here.
   */
  onEnd?: (connection: Connection<In, Out>) => void;
}

/** What a Bun socket carries in `socket.data`. */
export interface SocketSlot {
  connection?: Connection<unknown, unknown>;
}

type Waiter<In> = (message: In | undefined) => void;

/**
 * A peer speaking `protocol`. Sends are queued and coalesced: everything sent during one
 * event-loop turn leaves in a single socket write, and what the kernel doesn't take waits for
 * `drain`. Reads are push (`onMessage`) or pull (`receive()`, `for await`).
 */
export class Connection<In, Out> {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly stats: ConnectionStats = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
  readonly closed: Promise<{ error?: Error }>;

  readonly #socket: Socket<SocketSlot>;
  readonly #protocol: Protocol<In, Out>;
  readonly #decoder: MessageDecoder<In>;
  readonly #hooks: ConnectionHooks<In, Out>;
  readonly #maxQueuedBytes: number;
  readonly #idleTimeoutMs: number;
  readonly #closeTimeoutMs: number;

  /** Encoded messages not yet taken by the kernel: this turn's sends and what waits for `drain`. */
  readonly #out = new OutputBuffer();
  /** True while the kernel's buffer is full; `drain` resumes writing. */
  #blocked = false;
  #flushPending = false;
  #drainWaiters: (() => void)[] = [];

  /** Recoverable decode errors of the current chunk, with their place among its messages. */
  #recoverable: { error: FramingError; index: number }[] = [];
  #inbox: In[] = [];
  #inboxHead = 0;
  #waiters: Waiter<In>[] = [];
  #paused = false;
  #peerEnded = false;

  /** "open" → "closing" (flushing, then FIN) → "closed". */
  #state: "open" | "closing" | "closed" = "open";
  #halfClose = false;
  #error: Error | undefined;
  #resolveClosed!: (result: { error?: Error }) => void;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #lastActivity = 0;

  constructor(
    socket: Socket<SocketSlot>,
    protocol: Protocol<In, Out>,
    options: ConnectionOptions,
    hooks: ConnectionHooks<In, Out>,
  ) {
    this.#socket = socket;
    this.#protocol = protocol;
    this.#hooks = hooks;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? CONNECTION_DEFAULTS.maxQueuedBytes;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? CONNECTION_DEFAULTS.idleTimeoutMs;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? CONNECTION_DEFAULTS.closeTimeoutMs;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = (socket as { remotePort?: number }).remotePort ?? 0;
    this.#decoder = protocol.createDecoder({
      consumedAtOnce: hooks.onMessage !== undefined,
      onRecoverable: (error, index) => this.#recoverable.push({ error, index }),
    });
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    socket.data = { connection: this as Connection<unknown, unknown> };
    if (this.#idleTimeoutMs > 0) {
      this.#lastActivity = performance.now();
      this.#armIdle(this.#idleTimeoutMs);
    }
  }

  /** True once the connection is closing or closed: sends are ignored. */
  get isClosed(): boolean {
    return this.#state !== "open";
  }

  /** Why the connection closed (or is closing), when it was not a clean close. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Bytes waiting to be written to this peer. */
  get queuedBytes(): number {
    return this.#out.length;
  }

  /** Encodes and queues one message. False if the connection is closed or just overflowed. */
  send(message: Out): boolean {
    if (this.#state !== "open" || this.#halfClose) return false;
    const encodeInto = this.#protocol.encodeInto;
    if (!encodeInto) return this.#enqueue(this.#protocol.encode(message));
    const before = this.#out.length;
    encodeInto(message, this.#out);
    return this.#accept(this.#out.length - before);
  }

  /** Queues bytes already encoded for this protocol (encode once, send to many). */
  sendBytes(bytes: Uint8Array): boolean {
    if (this.#state !== "open" || this.#halfClose) return false;
    return this.#enqueue(bytes);
  }

  /**
   * Writes bytes already encoded for this protocol at once: straight from `bytes`, with no copy,
   * when nothing is queued ahead of them; what the kernel does not take (or everything, behind
   * queued output) is queued as by sendBytes. For callers that coalesce output themselves (one
   * call per peer per release), so the end-of-turn flush would only add a delay and a copy.
   */
  sendBytesNow(bytes: Uint8Array): boolean {
    if (this.#state !== "open" || this.#halfClose) return false;
    if (this.#out.length > 0 || this.#blocked) return this.#enqueue(bytes);
    const written = this.#socket.write(bytes);
    if (written < 0) return false; // the socket is closing; `close` follows
    this.stats.bytesOut += written;
    if (written === bytes.length) {
      this.stats.messagesOut++;
      return true;
    }
    this.#blocked = true; // the rest waits for drain
    return this.#enqueue(bytes.subarray(written));
  }

  /**
   * Resolves once everything queued so far has been handed to the kernel (or the connection
   * closed). Bulk senders await it between batches so a long reply never overflows the queue.
   */
  drained(): Promise<void> {
    if (this.queuedBytes === 0 || this.#state === "closed") return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Pull mode: the next message, or undefined once the peer has ended and all are read. */
  receive(): Promise<In | undefined> {
    if (this.#inboxHead < this.#inbox.length) return Promise.resolve(this.#take());
    if (this.#peerEnded || this.#state === "closed") return Promise.resolve(this.#onDrained());
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<In> {
    for (;;) {
      const message = await this.receive();
      if (message === undefined) return;
      yield message;
    }
  }

  /** Half-close: flushes queued output, then sends FIN; messages can still be received. */
  shutdown(): void {
    if (this.#state !== "open" || this.#halfClose) return;
    this.#halfClose = true;
    this.#requestFlush();
  }

  /** Flushes queued output (and `finalMessage`), then closes. Idempotent. */
  close(finalMessage?: Out): void {
    if (this.#state !== "open") return;
    if (finalMessage !== undefined) this.#enqueue(this.#protocol.encode(finalMessage));
    if (this.#state !== "open") return; // the final message overflowed the queue
    this.#state = "closing";
    this.#closeTimer = setTimeout(() => this.#fail(undefined, true), this.#closeTimeoutMs);
    this.#requestFlush();
  }

  /** Closes at once, dropping queued output. */
  destroy(error?: Error): void {
    this.#fail(error, true);
  }

  // ---- called by the transport (listen/connect) -------------------------------------------

  /** @internal socket `data` */
  handleData(chunk: Uint8Array): void {
    if (this.#state !== "open") return; // closing: what the peer still sends is ignored
    this.stats.bytesIn += chunk.length;
    if (this.#idleTimeoutMs > 0) this.#lastActivity = performance.now();
    let messages: In[];
    try {
      messages = this.#decoder.push(chunk);
    } catch (error) {
      this.#fail(error as Error, false);
      return;
    }
    if (this.#recoverable.length > 0) this.#deliverInterleaved(messages);
    else this.#deliver(messages);
    const failure = this.#decoder.failure;
    if (failure) this.#fail(failure, false);
  }

  /** @internal socket `end`: the peer sent FIN. */
  handleEnd(): void {
    if (this.#peerEnded) return;
    this.#peerEnded = true;
    let rest: In[];
    try {
      rest = this.#decoder.finish();
    } catch (error) {
      this.#fail(error as Error, false);
      return;
    }
    this.#deliver(rest);
    this.#hooks.onEnd?.(this);
    if (this.#hooks.onMessage) {
      this.close(); // push mode: nothing more will come; finish sending, then close
    } else if (this.#inboxHead >= this.#inbox.length) {
      this.#wakeWaiters();
    }
  }

  /** @internal socket `drain` */
  handleDrain(): void {
    this.#blocked = false;
    this.#writeOut();
  }

  /** @internal socket `close` */
  handleClose(error?: Error): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#error ??= error;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#closeTimer);
    this.#out.clear();
    this.#wakeWaiters();
    this.#wakeDrainWaiters();
    this.#resolveClosed(this.#error ? { error: this.#error } : {});
  }

  /** @internal write-scheduler callback */
  flushScheduled(): void {
    this.#flushPending = false;
    this.#writeOut();
  }

  // ---- internals -----------------------------------------------------------------------------

  #enqueue(bytes: Uint8Array): boolean {
    this.#out.append(bytes);
    return this.#accept(bytes.length);
  }

  /** Checks the queue limit after `size` bytes were appended, then schedules the flush. */
  #accept(size: number): boolean {
    let queued = this.#out.length;
    if (queued > this.#maxQueuedBytes && !this.#blocked) {
      // A big turn for a peer that is reading: hand what the kernel takes over now, and judge
      // the queue by what is really left.
      this.#writeOut();
      queued = this.#out.length;
    }
    if (queued > this.#maxQueuedBytes) {
      const error = new FramingError(
        "QUEUE_OVERFLOW",
        `peer is not reading: ${queued} bytes queued, limit ${this.#maxQueuedBytes}`,
        queued,
        this.#maxQueuedBytes,
      );
      this.#fail(error, true);
      return false;
    }
    void size;
    this.stats.messagesOut++;
    this.#requestFlush();
    return true;
  }

  #requestFlush(): void {
    if (this.#flushPending) return;
    this.#flushPending = true;
    scheduleFlush(this);
  }

  /** Writes what the kernel takes; the rest waits for `drain`. Finishes a close when empty. */
  #writeOut(): void {
    if (this.#state === "closed" || this.#blocked) return;
    while (this.#out.length > 0) {
      const pending = this.#out.pending();
      const written = this.#socket.write(pending);
      if (written < 0) return; // the socket is closing; `close` follows
      this.stats.bytesOut += written;
      this.#out.consume(written);
      if (written < pending.length) {
        this.#blocked = true;
        return; // the rest waits for drain
      }
    }
    this.#wakeDrainWaiters();
    if (this.#state === "closing") {
      this.#socket.end();
    } else if (this.#halfClose) {
      this.#socket.shutdown();
    }
  }

  #deliver(messages: In[]): void {
    if (messages.length === 0) return;
    this.stats.messagesIn += messages.length;
    const onMessage = this.#hooks.onMessage;
    if (onMessage) {
      for (const message of messages) {
        if (this.#state === "closed") return;
        onMessage(this, message);
      }
      return;
    }
    for (const message of messages) {
      const waiter = this.#waiters.shift();
      if (waiter) waiter(message);
      else this.#inbox.push(message);
    }
    // Stop reading a peer whose messages pile up unconsumed.
    if (!this.#paused && this.#inbox.length - this.#inboxHead >= DEFAULT_MAX_INBOX_MESSAGES) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  /** Delivers messages and the recoverable errors between them in stream order. */
  #deliverInterleaved(messages: In[]): void {
    const errors = this.#recoverable;
    this.#recoverable = [];
    let from = 0;
    for (const { error, index } of errors) {
      this.#deliver(messages.slice(from, index));
      from = index;
      if (this.#state === "closed") return;
      this.#hooks.onRecoverableError?.(this, error);
    }
    this.#deliver(messages.slice(from));
  }

  #take(): In {
    const message = this.#inbox[this.#inboxHead]!;
    this.#inbox[this.#inboxHead++] = undefined as In;
    if (this.#inboxHead === this.#inbox.length) {
      this.#inbox = [];
      this.#inboxHead = 0;
    }
    if (this.#paused && this.#inbox.length - this.#inboxHead < DEFAULT_MAX_INBOX_MESSAGES / 2) {
      this.#paused = false;
      this.#socket.resume();
    }
    return message;
  }

  /** Pull mode reached the end of the stream: close our side once output is flushed. */
  #onDrained(): undefined {
    if (this.#state === "open" && this.#peerEnded) this.close();
    return undefined;
  }

  #wakeDrainWaiters(): void {
    if (this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #wakeWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter(this.#onDrained());
  }

  /** Records `error` and closes; `now` drops queued output, otherwise it is flushed first. */
  #fail(error: Error | undefined, now: boolean): void {
    if (this.#state === "closed") return;
    this.#error ??= error;
    if (now) {
      this.#out.clear();
      this.#socket.end();
      this.handleClose(error);
    } else {
      this.close();
    }
  }

  #armIdle(delayMs: number): void {
    this.#idleTimer = setTimeout(() => {
      const idleFor = performance.now() - this.#lastActivity;
      if (idleFor >= this.#idleTimeoutMs) {
        const error = new FramingError(
          "IDLE_TIMEOUT",
          `nothing received for ${Math.round(idleFor)} ms`,
        );
        this.#error ??= error;
        this.close();
      } else {
        this.#armIdle(this.#idleTimeoutMs - idleFor);
      }
    }, delayMs);
  }
}
