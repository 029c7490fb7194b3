// Connection: one framed peer over a Bun TCP socket — queued, coalesced writes and message reads.
import type { Socket } from "bun";
import {
  DEFAULT_MAX_HELD_INPUT_BYTES,
  DEFAULT_MAX_INBOX_MESSAGES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MESSAGE_TIMEOUT_MS,
  DEFAULT_MIN_INPUT_BYTES_PER_SECOND,
  DEFAULT_SEND_TIMEOUT_MS,
  DEFAULT_STALL_QUEUED_BYTES,
} from "./constants.ts";
import { coarseNow, type Sweepable, unwatch, watch } from "./deadline-clock.ts";
import { FramingError } from "./errors.ts";
import type { InputBudget } from "./input-budget.ts";
import { OutputBuffer } from "./output-buffer.ts";
import type { MessageDecoder, Protocol } from "./protocol.ts";
import { scheduleFlush } from "./write-scheduler.ts";

/** Limits of one Connection (output queue, stalled reader, deadlines), shared by `listen` and `connect`. */
export interface ConnectionOptions {
  /** Hard cap on outgoing bytes waiting for a slow reader; past it the peer is dropped. @default 1 MiB */
  maxQueuedBytes?: number;
  /** A stalled reader: output over this size... @default 64 KiB */
  stallQueuedBytes?: number;
  /** ...that is not taken down below it for this long closes the peer; 0 disables. @default 30000 */
  sendTimeoutMs?: number;
  /** Close a peer that sends nothing for this long; 0 disables. @default 0 (listen: 300000) */
  idleTimeoutMs?: number;
  /**
   * A message (frame, line, request head or body) must complete within this long of its first
   * byte, plus one second per `minInputBytesPerSecond` bytes received meanwhile. No byte resets
   * it, so one byte every few seconds cannot hold a connection. 0 disables. @default 10000
   */
  messageTimeoutMs?: number;
  /** The rate allowance of `messageTimeoutMs`. @default 1024 */
  minInputBytesPerSecond?: number;
  /** Push mode: input held behind `hold()` up to this size before reading pauses. @default 1 MiB */
  maxHeldInputBytes?: number;
  /** How long `close()` waits for queued output to drain before dropping it. @default 5000 */
  closeTimeoutMs?: number;
}

/** What a Connection uses for a limit left out (queue sizes, send and idle timeouts). */
export const CONNECTION_DEFAULTS = {
  maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES,
  stallQueuedBytes: DEFAULT_STALL_QUEUED_BYTES,
  sendTimeoutMs: DEFAULT_SEND_TIMEOUT_MS,
  idleTimeoutMs: 0,
  messageTimeoutMs: DEFAULT_MESSAGE_TIMEOUT_MS,
  minInputBytesPerSecond: DEFAULT_MIN_INPUT_BYTES_PER_SECOND,
  maxHeldInputBytes: DEFAULT_MAX_HELD_INPUT_BYTES,
  closeTimeoutMs: 5000,
} satisfies Required<ConnectionOptions>;

/** Counters of one Connection: bytes and messages each way. */
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
   * Call `connection.hold()` in it to stop delivery while the message's work is pending (a
   * commit), and `proceed()` when it is done: later messages wait, in order.
   */
  onMessage?: (connection: Connection<In, Out>, message: In) => void;
  /** A recoverable decode problem (a dropped over-long line). */
  onRecoverableError?: (connection: Connection<In, Out>, error: FramingError) => void;
  /**
   * The peer sent FIN, after its last message was delivered. In push mode the connection then
   * closes once its queue is flushed, so send anything still held back (batched output) here.
   */
  onEnd?: (connection: Connection<In, Out>) => void;
  /**
   * The message deadline (`messageTimeoutMs`) passed: return a last message to send before the
   * connection closes (HTTP's 408), or undefined to close without one. Not called when output
   * is stuck behind a peer that does not read: that peer is reset.
   */
  onMessageTimeout?: (connection: Connection<In, Out>, error: FramingError) => Out | undefined;
}

/** A recoverable decode error waiting behind `hold()`, in its place among the messages. */
class HeldError {
  constructor(readonly error: FramingError) {}
}

/** What a Bun socket carries in `socket.data`. */
export interface SocketSlot {
  connection?: Connection<unknown, unknown>;
  /** Set by the transport on TLS sockets, before the Connection is made. */
  secure?: boolean;
}

type Waiter<In> = (message: In | undefined) => void;

/**
 * A peer speaking `protocol`. Sends are queued and coalesced: everything sent during one
 * event-loop turn leaves in a single socket write, and what the kernel doesn't take waits for
 * `drain`. Reads are push (`onMessage`) or pull (`receive()`, `for await`).
 */
export class Connection<In, Out> implements Sweepable {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** True on a TLS connection. */
  readonly secure: boolean;
  readonly stats: ConnectionStats = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
  readonly closed: Promise<{ error?: Error }>;

  readonly #socket: Socket<SocketSlot>;
  readonly #protocol: Protocol<In, Out>;
  readonly #decoder: MessageDecoder<In>;
  /** Push mode with a decoder that decodes on demand (feed/next/detach): nothing is kept decoded. */
  readonly #stepwise: boolean;
  readonly #hooks: ConnectionHooks<In, Out>;
  readonly #maxQueuedBytes: number;
  readonly #stallQueuedBytes: number;
  readonly #sendTimeoutMs: number;
  #idleTimeoutMs: number;
  readonly #messageTimeoutMs: number;
  readonly #msPerInputByte: number;
  readonly #maxHeldInputBytes: number;
  readonly #closeTimeoutMs: number;
  readonly #budget: InputBudget | undefined;

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
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Coarse time of the last byte received. */
  #lastInput = 0;
  /** Coarse time the incomplete message began, or -1 between messages. */
  #partialSince = -1;
  /** stats.bytesIn when it began. */
  #partialBytesIn = 0;
  /** Bytes a stream-mode consumer says it holds of an incomplete message (reportPartialInput). */
  #reportedPartial = 0;
  /** Coarse time the output queue went over stallQueuedBytes, or -1. */
  #stalledSince = -1;
  /** Push mode behind hold(): messages (and recoverable errors) not delivered yet, in order. */
  #held = false;
  #delivering = false;
  #backlog: (In | HeldError)[] = [];
  #backlogHead = 0;
  #backlogBytes = 0;
  #readPaused = false;
  /** End of stream seen while messages were held: finished once they are delivered. */
  #endPending = false;
  /** onEnd was called (once, even when a hold defers the close). */
  #endNotified = false;
  /** Bytes last reported to the input budget. */
  #budgeted = 0;

  constructor(
    socket: Socket<SocketSlot>,
    protocol: Protocol<In, Out>,
    options: ConnectionOptions,
    hooks: ConnectionHooks<In, Out>,
    budget?: InputBudget,
  ) {
    this.#socket = socket;
    this.#protocol = protocol;
    this.#hooks = hooks;
    this.#budget = budget;
    const o = { ...CONNECTION_DEFAULTS };
    for (const key of Object.keys(o) as (keyof typeof o)[]) {
      const value = options[key];
      if (value !== undefined) o[key] = value;
    }
    this.#maxQueuedBytes = o.maxQueuedBytes;
    this.#stallQueuedBytes = Math.min(o.stallQueuedBytes, o.maxQueuedBytes);
    this.#sendTimeoutMs = o.sendTimeoutMs;
    this.#idleTimeoutMs = o.idleTimeoutMs;
    this.#messageTimeoutMs = o.messageTimeoutMs;
    this.#msPerInputByte = o.minInputBytesPerSecond > 0 ? 1000 / o.minInputBytesPerSecond : 0;
    this.#maxHeldInputBytes = o.maxHeldInputBytes;
    this.#closeTimeoutMs = o.closeTimeoutMs;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = (socket as { remotePort?: number }).remotePort ?? 0;
    this.secure = socket.data?.secure === true;
    this.#decoder = protocol.createDecoder({
      consumedAtOnce: hooks.onMessage !== undefined,
      onRecoverable: (error, index) => this.#recoverable.push({ error, index }),
    });
    this.#stepwise =
      hooks.onMessage !== undefined &&
      this.#decoder.next !== undefined &&
      this.#decoder.feed !== undefined &&
      this.#decoder.detach !== undefined;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    socket.data = { connection: this as Connection<unknown, unknown> };
    watch(this);
    this.#lastInput = coarseNow();
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

  /** Bytes of input held now: an incomplete message, and messages waiting behind `hold()`. */
  get heldInputBytes(): number {
    return (this.#decoder.bufferedBytes ?? 0) + this.#reportedPartial + this.#backlogBytes;
  }

  /**
   * Push mode: stop delivering messages until `proceed()` (the work for this one is pending).
   * What arrives meanwhile is kept, in order, without a promise per message (undecoded, when the
   * protocol's decoder can decode on demand, as `frames()` does); past `maxHeldInputBytes` the
   * connection stops reading from the socket until delivery resumes.
   */
  hold(): void {
    this.#held = true;
  }

  /**
   * Changes this peer's idle timeout (0 = off), counted from now: a protocol whose patience
   * differs by phase (HTTP's keep-alive wait between requests, none while a response streams).
   */
  setIdleTimeout(ms: number): void {
    this.#idleTimeoutMs = ms;
    this.#lastInput = coarseNow();
  }

  /** Delivers the messages held meanwhile, synchronously, until the next `hold()`. */
  proceed(): void {
    this.#held = false;
    if (this.#delivering) return; // called from onMessage: the delivery loop goes on
    if (this.#stepwise) this.#resume();
    else this.#deliverBacklog();
  }

  /**
   * Stream mode (protocol `bytes()`): the consumer's parser holds `bytes` of an incomplete message
   * (0 between messages; any positive number while a body is being received). It starts and stops
   * the message deadline, and counts toward the server's input budget, like a decoder's partial frame.
   */
  reportPartialInput(bytes: number): void {
    this.#reportedPartial = bytes;
    this.#trackPartial();
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
    this.#lastInput = coarseNow();
    if (this.#stepwise) {
      this.#handleDataStepwise(chunk);
      return;
    }
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
    else this.#trackPartial();
  }

  /** @internal socket `end`: the peer sent FIN. */
  handleEnd(): void {
    if (this.#peerEnded) return;
    this.#peerEnded = true;
    if (this.#stepwise) {
      // Behind a hold, whole messages may still wait undecoded: end once they are handled.
      if (this.#held || this.#delivering) this.#endPending = true;
      else this.#endStepwise();
      return;
    }
    let rest: In[];
    try {
      rest = this.#decoder.finish();
    } catch (error) {
      this.#fail(error as Error, false);
      return;
    }
    this.#deliver(rest);
    if (this.#held || this.#backlogHead < this.#backlog.length) {
      this.#endPending = true; // finished by #deliverBacklog once the held messages are handled
      return;
    }
    this.#finishEnd();
  }

  /** Stepwise: every whole message was handled; what is left is a truncated one, or nothing. */
  #endStepwise(): void {
    try {
      this.#decoder.finish();
    } catch (error) {
      this.#fail(error as Error, false);
      return;
    }
    this.#finishEnd();
  }

  #finishEnd(): void {
    if (this.#state !== "open") return;
    if (!this.#endNotified) {
      this.#endNotified = true;
      this.#hooks.onEnd?.(this);
    }
    if (this.#hooks.onMessage) {
      // hold() in onEnd: replies are still being worked on (HTTP after a half-close); the close
      // waits for proceed().
      if (this.#held) {
        this.#endPending = true;
        return;
      }
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
    unwatch(this);
    clearTimeout(this.#closeTimer);
    this.#out.clear();
    this.#backlog = [];
    this.#backlogHead = 0;
    this.#backlogBytes = 0;
    this.#reportedPartial = 0;
    if (this.#budget && this.#budgeted !== 0) {
      const before = this.#budgeted;
      this.#budgeted = 0;
      this.#budget.update(this, before, 0);
    }
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
    if (queued > this.#stallQueuedBytes && this.#stalledSince < 0) this.#stalledSince = coarseNow();
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
      if (this.#stalledSince >= 0 && this.#out.length <= this.#stallQueuedBytes) {
        this.#stalledSince = -1;
      }
      if (written < pending.length) {
        this.#blocked = true;
        return; // the rest waits for drain
      }
    }
    this.#stalledSince = -1;
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
      if (this.#held || this.#backlogHead < this.#backlog.length) {
        this.#keep(messages, 0);
        return;
      }
      this.#delivering = true;
      for (let i = 0; i < messages.length; i++) {
        if (this.#state === "closed") break;
        if (this.#held) {
          this.#keep(messages, i);
          break;
        }
        onMessage(this, messages[i] as In);
      }
      this.#delivering = false;
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

  /** Stepwise push mode: decode and deliver until a hold; keep the rest of the chunk undecoded. */
  #handleDataStepwise(chunk: Uint8Array): void {
    const decoder = this.#decoder;
    try {
      decoder.feed?.(chunk);
    } catch (error) {
      this.#fail(error as Error, false);
      return;
    }
    if (!this.#held && !this.#delivering) this.#pump();
    decoder.detach?.();
    if (this.#state !== "open") return;
    if (this.#held && !this.#readPaused && this.heldInputBytes > this.#maxHeldInputBytes) {
      this.#readPaused = true;
      this.#socket.pause();
    }
    this.#trackPartial();
  }

  /** Stepwise: hands whole messages to onMessage until a hold, the input runs out, or a close. */
  #pump(): void {
    const decoder = this.#decoder;
    const onMessage = this.#hooks.onMessage as NonNullable<ConnectionHooks<In, Out>["onMessage"]>;
    let delivered = 0;
    this.#delivering = true;
    try {
      while (!this.#held && this.#state === "open") {
        let message: In | undefined;
        try {
          message = decoder.next?.();
        } catch (error) {
          this.#fail(error as Error, false); // FRAME_TOO_LARGE, after the messages before it
          break;
        }
        if (message === undefined) break;
        delivered++;
        onMessage(this, message);
      }
    } finally {
      this.#delivering = false;
      this.stats.messagesIn += delivered;
    }
    // Progress: the deadline of the next message counts from now, not from its chunk's arrival.
    if (delivered > 0) this.#partialSince = -1;
  }

  /** Stepwise proceed(): goes on decoding, resumes reading, finishes a pending end. */
  #resume(): void {
    if (this.#state !== "open") return;
    this.#pump();
    if (this.#state !== "open") return;
    // Not held again: the whole messages are all handled and only a partial one can be left,
    // which needs the socket to complete.
    if (this.#readPaused && (!this.#held || this.heldInputBytes <= this.#maxHeldInputBytes / 2)) {
      this.#readPaused = false;
      this.#socket.resume();
    }
    this.#trackPartial();
    if (this.#endPending && !this.#held) {
      this.#endPending = false;
      this.#endStepwise();
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
      if (this.#hooks.onMessage && (this.#held || this.#backlogHead < this.#backlog.length)) {
        this.#backlog.push(new HeldError(error));
      } else {
        this.#hooks.onRecoverableError?.(this, error);
      }
    }
    this.#deliver(messages.slice(from));
  }

  /** Keeps messages[from..] behind a hold: views of the socket's chunk are copied, once. */
  #keep(messages: In[], from: number): void {
    for (let i = from; i < messages.length; i++) {
      let message = messages[i] as In;
      if (message instanceof Uint8Array) {
        message = message.slice() as In;
        this.#backlogBytes += (message as Uint8Array).length;
      } else if (typeof message === "string") {
        this.#backlogBytes += message.length;
      }
      this.#backlog.push(message);
    }
    if (!this.#readPaused && this.#backlogBytes > this.#maxHeldInputBytes) {
      this.#readPaused = true;
      this.#socket.pause();
    }
  }

  /** proceed(): hands held messages over until the next hold, then finishes a pending end. */
  #deliverBacklog(): void {
    const onMessage = this.#hooks.onMessage;
    if (!onMessage) return;
    this.#delivering = true;
    while (!this.#held && this.#state === "open" && this.#backlogHead < this.#backlog.length) {
      const item = this.#backlog[this.#backlogHead] as In | HeldError;
      this.#backlog[this.#backlogHead++] = undefined as In;
      if (item instanceof HeldError) {
        this.#hooks.onRecoverableError?.(this, item.error);
        continue;
      }
      if (item instanceof Uint8Array) this.#backlogBytes -= item.length;
      else if (typeof item === "string") this.#backlogBytes -= item.length;
      onMessage(this, item);
    }
    this.#delivering = false;
    if (this.#backlogHead >= this.#backlog.length) {
      this.#backlog = [];
      this.#backlogHead = 0;
      this.#backlogBytes = 0;
    }
    if (this.#readPaused && this.#backlogBytes <= this.#maxHeldInputBytes / 2) {
      this.#readPaused = false;
      this.#socket.resume();
    }
    this.#trackPartial();
    if (this.#endPending && !this.#held && this.#backlog.length === 0) {
      this.#endPending = false;
      this.#finishEnd();
    }
  }

  /** After input changed: starts or ends the message deadline, and updates the input budget. */
  #trackPartial(): void {
    const partial = (this.#decoder.bufferedBytes ?? 0) + this.#reportedPartial;
    if (partial > 0) {
      if (this.#partialSince < 0) {
        this.#partialSince = coarseNow();
        this.#partialBytesIn = this.stats.bytesIn - partial;
      }
    } else {
      this.#partialSince = -1;
    }
    if (this.#budget) {
      const held = partial + this.#backlogBytes;
      const before = this.#budgeted;
      if (held !== before) {
        this.#budgeted = held;
        this.#budget.update(this, before, held);
      }
    }
  }

  /** @internal the deadline sweep */
  checkDeadlines(now: number): void {
    if (this.#state === "closed") return;
    if (this.#state === "closing") return; // the close timer bounds it
    if (this.#partialSince >= 0 && this.#messageTimeoutMs > 0 && !this.#held) {
      const received = this.stats.bytesIn - this.#partialBytesIn;
      const allowed = this.#messageTimeoutMs + received * this.#msPerInputByte;
      const elapsed = now - this.#partialSince;
      if (elapsed > allowed) {
        const error = new FramingError(
          "MESSAGE_TIMEOUT",
          `a message was not complete ${Math.round(elapsed)} ms after its first byte (${received} bytes received)`,
        );
        const last =
          this.#out.length === 0 && !this.#blocked
            ? this.#hooks.onMessageTimeout?.(this, error)
            : undefined;
        if (last === undefined) {
          this.#fail(error, true);
        } else {
          this.#error = error;
          this.close(last);
        }
        return;
      }
    }
    if (this.#stalledSince >= 0 && this.#sendTimeoutMs > 0) {
      const stalledFor = now - this.#stalledSince;
      if (stalledFor > this.#sendTimeoutMs) {
        this.#fail(
          new FramingError(
            "SEND_TIMEOUT",
            `peer is not reading: ${this.#out.length} bytes queued for ${Math.round(stalledFor)} ms`,
            this.#out.length,
            this.#stallQueuedBytes,
          ),
          true,
        );
        return;
      }
    }
    if (this.#idleTimeoutMs > 0 && !this.#held && this.#backlog.length === 0) {
      const idleFor = now - this.#lastInput;
      if (idleFor >= this.#idleTimeoutMs) {
        this.#error ??= new FramingError(
          "IDLE_TIMEOUT",
          `nothing received for ${Math.round(idleFor)} ms`,
        );
        this.close();
      }
    }
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
      // With output stuck (a peer that does not read), reset: a FIN would wait behind the bytes
      // the kernel still holds and the peer would never learn it was cut off. Otherwise a FIN.
      const stuck = this.#out.length > 0 || this.#blocked;
      this.#out.clear();
      if (stuck) this.#socket.terminate();
      else this.#socket.end();
      this.handleClose(error);
    } else {
      this.close();
    }
  }
}
