// BBS transport: length-prefixed frames over Bun sockets, handled synchronously as they arrive.
//
// Why not @netkit/framing's Connection: its pull mode hands frames out one promise at a time and
// its push mode closes on FIN and cannot pause. Here a chunk's frames are handled in the `data`
// callback, one after another, until a command must wait (a post waits for its group commit);
// the peer then holds its remaining bytes, stops reading past a bound, and goes on from the commit
// callback. No promise and no copy per frame: frames are views of the chunk or of the held bytes.
// Replies produced while handling leave in one socket write.

import { encodeFrame, FramingError, HEADER_BYTES, type Log } from "@netkit/framing";
import type { Socket, SocketHandler } from "bun";

const EMPTY = new Uint8Array(0);
/** Replies queued during one pass are merged into one write up to this size. */
const COALESCE_BYTES = 64 * 1024;

export interface PeerHandler {
  /** A new peer (after the connection cap). */
  open(peer: Peer): void;
  /**
   * One frame, a view valid only during the call. Call `peer.hold()` to stop delivery until
   * `peer.proceed()`; frames keep arriving in order after that.
   */
  frame(peer: Peer, frame: Uint8Array): void;
  /** The socket is gone; `error` says why when it was not a clean close. */
  closed(peer: Peer, error: Error | undefined): void;
}

export interface TransportOptions {
  hostname: string;
  port: number;
  maxFrameBytes: number;
  /** Outgoing bytes allowed to wait for a slow reader; past it the peer is dropped. */
  maxQueuedBytes: number;
  /** Received bytes held unhandled (behind a command in flight) before reading pauses. */
  maxHeldInputBytes: number;
  /** 0: never. */
  idleTimeoutMs: number;
  maxConnections: number;
  /** Sent as a frame to a peer over the cap, which is then closed. */
  rejectMessage: string;
  /** How long close() waits for queued output before dropping it. */
  closeTimeoutMs: number;
  log: Log;
  handler: PeerHandler;
}

export interface Transport {
  readonly hostname: string;
  readonly port: number;
  readonly connections: ReadonlySet<Peer>;
  /** Stops accepting, closes every peer (flushing each) and waits for them. */
  stop(): Promise<void>;
}

/** One connected client: framed input handled in order, queued output, close with flush. */
export class Peer {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The handler's per-peer state. */
  state: unknown;

  readonly #socket: Socket<Peer>;
  readonly #o: TransportOptions;
  readonly #handler: PeerHandler;
  // Input: bytes [#start, #end) of #in are received and not handled yet. #in is the socket's
  // chunk itself while a `data` callback runs (#borrowed), else our own buffer.
  #in: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  #borrowed = false;
  #held = false;
  #pumping = false;
  #paused = false;
  #peerEnded = false;
  // Output
  #out: Uint8Array[] = [];
  #outBytes = 0;
  #blocked = false;
  #drainWaiters: (() => void)[] = [];
  #closedWaiters: (() => void)[] = [];
  /** "open" → "closing" (flushing, then FIN) → "closed". */
  #state: "open" | "closing" | "closed" = "open";
  #error: Error | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #lastActivity = 0;

  constructor(socket: Socket<Peer>, options: TransportOptions) {
    this.#socket = socket;
    this.#o = options;
    this.#handler = options.handler;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = (socket as { remotePort?: number }).remotePort ?? 0;
    if (options.idleTimeoutMs > 0) {
      this.#lastActivity = performance.now();
      this.#armIdle(options.idleTimeoutMs);
    }
  }

  /** True once closing or closed: sends are ignored. */
  get isClosed(): boolean {
    return this.#state !== "open";
  }

  get error(): Error | undefined {
    return this.#error;
  }

  /** Bytes waiting to be written to this peer. */
  get queuedBytes(): number {
    return this.#outBytes;
  }

  /** Queues one frame. False if the peer is closed or just overflowed its queue. */
  send(payload: string | Uint8Array): boolean {
    if (this.#state !== "open") return false;
    return this.#queue(encodeFrame(payload));
  }

  /** Queues bytes that are already whole frames. */
  sendBytes(bytes: Uint8Array): boolean {
    if (this.#state !== "open") return false;
    return this.#queue(bytes);
  }

  /** Resolves once everything queued so far reached the kernel (or the peer closed). */
  drained(): Promise<void> {
    if (this.#outBytes === 0 || this.#state === "closed") return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Resolves once the socket is closed. */
  whenClosed(): Promise<void> {
    if (this.#state === "closed") return Promise.resolve();
    return new Promise((resolve) => this.#closedWaiters.push(resolve));
  }

  /** Stops delivering frames (a command is in flight) until proceed(). */
  hold(): void {
    this.#held = true;
  }

  /** Delivers the frames received meanwhile, synchronously, until the next hold(). */
  proceed(): void {
    this.#held = false;
    if (!this.#pumping) this.#pump();
  }

  /** Flushes queued output (and `finalMessage`), then closes. Idempotent. */
  close(finalMessage?: string): void {
    if (this.#state !== "open") return;
    if (finalMessage !== undefined && !this.#queue(encodeFrame(finalMessage))) return;
    this.#state = "closing";
    this.#closeTimer = setTimeout(() => this.#fail(undefined, true), this.#o.closeTimeoutMs);
    this.#write();
  }

  /** Closes at once, dropping queued output. */
  destroy(error?: Error): void {
    this.#fail(error, true);
  }

  // ---- socket events (the transport's handler object calls these) ----------------------------

  onData(chunk: Uint8Array): void {
    if (this.#state !== "open") return; // closing: what the peer still sends is ignored
    if (this.#o.idleTimeoutMs > 0) this.#lastActivity = performance.now();
    if (this.#start === this.#end) {
      this.#in = chunk;
      this.#start = 0;
      this.#end = chunk.length;
      this.#borrowed = true;
    } else {
      this.#append(chunk);
    }
    if (!this.#held && !this.#pumping) this.#pump();
    if (this.#borrowed) {
      // The chunk is Bun's: keep a copy of what is left of it.
      this.#borrowed = false;
      this.#in = this.#start < this.#end ? this.#in.slice(this.#start, this.#end) : EMPTY;
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (!this.#paused && this.#end - this.#start > this.#o.maxHeldInputBytes) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  onEnd(): void {
    this.#peerEnded = true;
    if (!this.#held && !this.#pumping) this.#pump();
  }

  onDrain(): void {
    this.#blocked = false;
    this.#write();
  }

  onClose(error?: Error): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#error ??= error;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#closeTimer);
    this.#out = [];
    this.#outBytes = 0;
    this.#in = EMPTY;
    this.#start = this.#end = 0;
    this.#wakeDrainWaiters();
    const waiters = this.#closedWaiters;
    this.#closedWaiters = [];
    for (const f of waiters) f();
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Hands whole frames to the handler until it holds, input runs out, or the peer closes. */
  #pump(): void {
    this.#pumping = true;
    const max = this.#o.maxFrameBytes;
    while (!this.#held && this.#state === "open" && this.#end - this.#start >= HEADER_BYTES) {
      const buf = this.#in;
      const at = this.#start;
      const size =
        ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
      if (size > max) {
        this.#fail(
          new FramingError(
            "FRAME_TOO_LARGE",
            `frame of ${size} bytes is over the ${max}-byte limit`,
            size,
            max,
          ),
          false,
        );
        break;
      }
      const from = at + HEADER_BYTES;
      if (this.#end - from < size) break;
      this.#start = from + size;
      try {
        this.#handler.frame(this, buf.subarray(from, from + size));
      } catch (error) {
        this.#o.log({
          level: "error",
          event: "conn.handler_error",
          peer: `${this.remoteAddress}:${this.remotePort}`,
          error: String(error),
        });
        this.close();
      }
    }
    this.#pumping = false;
    if (this.#start === this.#end && !this.#borrowed) {
      this.#in = EMPTY; // an idle peer holds no buffer
      this.#start = this.#end = 0;
    }
    this.#write();
    if (this.#paused && this.#end - this.#start <= this.#o.maxHeldInputBytes / 2) {
      this.#paused = false;
      this.#socket.resume();
    }
    if (this.#peerEnded && !this.#held && this.#state === "open") {
      if (this.#end > this.#start) {
        const have = this.#end - this.#start;
        this.#fail(
          new FramingError("TRUNCATED_FRAME", `stream ended inside a frame (${have} bytes)`, have),
          false,
        );
      } else {
        this.close(); // everything the peer sent is handled: finish sending, then close
      }
    }
  }

  /** Adds a chunk behind the held bytes; the buffer grows by doubling, so appends stay O(1). */
  #append(chunk: Uint8Array): void {
    const held = this.#end - this.#start;
    if (!this.#borrowed && this.#in.length - this.#end >= chunk.length) {
      this.#in.set(chunk, this.#end);
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

  #queue(bytes: Uint8Array): boolean {
    this.#out.push(bytes);
    this.#outBytes += bytes.length;
    if (this.#outBytes > this.#o.maxQueuedBytes && !this.#blocked) this.#write();
    if (this.#outBytes > this.#o.maxQueuedBytes) {
      const queued = this.#outBytes;
      this.#fail(
        new FramingError(
          "QUEUE_OVERFLOW",
          `peer is not reading: ${queued} bytes queued, limit ${this.#o.maxQueuedBytes}`,
          queued,
          this.#o.maxQueuedBytes,
        ),
        true,
      );
      return false;
    }
    // While frames are being handled, replies wait for the end of the pass (one write).
    if (!this.#pumping) this.#write();
    return true;
  }

  /** Writes what the kernel takes; the rest waits for `drain`. Finishes a close when empty. */
  #write(): void {
    if (this.#state === "closed" || this.#blocked) return;
    while (this.#out.length > 0) {
      if (this.#out.length > 1 && this.#outBytes <= COALESCE_BYTES) {
        const merged = new Uint8Array(this.#outBytes);
        let at = 0;
        for (const b of this.#out) {
          merged.set(b, at);
          at += b.length;
        }
        this.#out = [merged];
      }
      const head = this.#out[0] as Uint8Array;
      const written = this.#socket.write(head);
      if (written < 0) return; // the socket is closing; `close` follows
      this.#outBytes -= written;
      if (written < head.length) {
        this.#out[0] = head.subarray(written);
        this.#blocked = true;
        return; // the rest waits for drain
      }
      this.#out.shift();
    }
    this.#wakeDrainWaiters();
    if (this.#state === "closing") this.#socket.end();
  }

  #wakeDrainWaiters(): void {
    if (this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Records `error` and closes; `now` drops queued output, otherwise it is flushed first. */
  #fail(error: Error | undefined, now: boolean): void {
    if (this.#state === "closed") return;
    this.#error ??= error;
    if (now) {
      this.#out = [];
      this.#outBytes = 0;
      this.#socket.end();
      this.onClose(error);
    } else {
      this.close();
    }
  }

  #armIdle(delayMs: number): void {
    this.#idleTimer = setTimeout(() => {
      const idleFor = performance.now() - this.#lastActivity;
      if (idleFor >= this.#o.idleTimeoutMs) {
        this.#error ??= new FramingError(
          "IDLE_TIMEOUT",
          `nothing received for ${Math.round(idleFor)} ms`,
        );
        this.close();
      } else {
        this.#armIdle(this.#o.idleTimeoutMs - idleFor);
      }
    }, delayMs);
  }
}

/** Starts the TCP server; each accepted socket becomes a Peer driven by `options.handler`. */
export function listenPeers(options: TransportOptions): Transport {
  const { log, handler } = options;
  const connections = new Set<Peer>();
  const name = (p: Peer) => `${p.remoteAddress}:${p.remotePort}`;

  const socket: SocketHandler<Peer, "uint8array"> = {
    binaryType: "uint8array",
    open(s) {
      const peer = new Peer(s as Socket<Peer>, options);
      s.data = peer;
      if (connections.size >= options.maxConnections) {
        log({ level: "warn", event: "conn.rejected", peer: name(peer), reason: "connection cap" });
        peer.close(options.rejectMessage);
        return;
      }
      connections.add(peer);
      log({ level: "debug", event: "conn.open", peer: name(peer) });
      try {
        handler.open(peer);
      } catch (error) {
        log({
          level: "error",
          event: "conn.handler_error",
          peer: name(peer),
          error: String(error),
        });
        peer.close();
      }
    },
    data(s, chunk) {
      s.data.onData(chunk);
    },
    drain(s) {
      s.data.onDrain();
    },
    end(s) {
      s.data.onEnd();
    },
    close(s, error) {
      const peer = s.data;
      if (!peer) return;
      peer.onClose(error);
      if (!connections.delete(peer)) return;
      const cause = peer.error;
      const reason = (cause as FramingError | undefined)?.code ?? cause?.message;
      log({ level: "debug", event: "conn.close", peer: name(peer), reason });
      handler.closed(peer, cause);
    },
    error(s, error) {
      // A handler threw: never let one peer take the server down.
      log({ level: "error", event: "conn.error", error: String(error) });
      s.data?.destroy(error);
    },
  };

  const server = Bun.listen<Peer>({
    hostname: options.hostname,
    port: options.port,
    allowHalfOpen: true, // a peer's FIN still gets the replies to what it sent before it
    socket: socket as unknown as SocketHandler<Peer>,
  });

  return {
    hostname: server.hostname,
    port: server.port,
    connections,
    async stop() {
      server.stop(false);
      await Promise.all(
        [...connections].map((p) => {
          p.close();
          return p.whenClosed();
        }),
      );
      server.stop(true);
    },
  };
}
