// The live feed behind GET /ws: every stored message is pushed, in id order, to every open socket,
// after a catch-up from the store (`since=`) that joins the live stream with no gap and no repeat.
//
// One cursor for the whole instance: on "message N exists" (a commit here, a Redis announcement,
// the periodic re-check) the feed reads the store after the last id it pushed and sends each
// message to the sockets that are live. The store is the source of truth, and ids become visible
// in increasing order (ChatStorage), so reading `since(cursor)` never skips one.
//
// A socket starts by catching up on its own: it reads `since(lastSent)` page by page until it has
// reached the feed's cursor, and joins the live set in the same turn as that check, so whatever
// the feed reads next is newer than what the socket got. Messages both paths see (committed while
// the catch-up query ran) are dropped by id on the live path: each socket keeps its last id sent.
//
// Each message is framed once per kind of socket: uncompressed, and compressed once per agreed
// server window (permessage-deflate without server context takeover, so the same compressed bytes
// are valid on every such socket: see SOCKET_DEFLATE in app.ts); the same bytes go to every socket
// of that kind (sendFrame), not a compression per socket.
//
// Backpressure: a socket whose unsent bytes pass `maxLagBytes` leaves the live set instead of
// queueing more; once it has drained it catches up from the store like a new socket. So a reader
// that stalls holds at most maxLagBytes plus one message, and framing's send timeout closes it if
// it never reads.
import { PerMessageDeflate, type WebSocketSession } from "@netkit/websocket";
import { encodeFrame, FrameOpcode } from "@netkit/websocket/codec";
import type { ChatMessage, ChatStorage } from "../store/types.ts";

/** Messages per store read, when catching up and when following the cursor. */
const PAGE = 100;

/** Options of `LiveFeed`. */
export interface LiveFeedOptions {
  /** Queued bytes past which a socket gets no more pushes until it drained and caught up. */
  maxLagBytes: number;
  /** A store read failed (the socket concerned is closed with 1011 and may reconnect with since=). */
  onStoreError?(error: unknown): void;
}

interface Subscriber {
  readonly session: WebSocketSession;
  /** The highest id sent to this socket (or its `since`). */
  lastSentId: number;
}

/** The text frame for one message: the object GET /messages lists for it. */
function frameOf(message: ChatMessage): string {
  return JSON.stringify({
    id: message.id,
    name: message.name,
    text: message.text,
    time: message.time,
  });
}

const encoder = new TextEncoder();

/** One message's frames, made on first use: plain, and compressed per server window size. */
class MessageFrames {
  #payload: Uint8Array | undefined;
  #plain: Uint8Array | undefined;
  readonly #compressed = new Map<number, Uint8Array>();

  constructor(
    readonly text: string,
    readonly compressors: Map<number, PerMessageDeflate>,
  ) {}

  /** The frame for `session`, or undefined when it must compress on its own (context takeover). */
  for(session: WebSocketSession): Uint8Array | undefined {
    const deflate = session.deflate;
    if (!deflate) return this.#plainFrame();
    if (!deflate.serverNoContextTakeover) return undefined;
    const bits = deflate.serverMaxWindowBits;
    let frame = this.#compressed.get(bits);
    if (frame === undefined) {
      let compressor = this.compressors.get(bits);
      if (compressor === undefined) {
        compressor = new PerMessageDeflate(
          {
            serverNoContextTakeover: true,
            clientNoContextTakeover: true,
            serverMaxWindowBits: bits,
            clientMaxWindowBits: 15,
          },
          "server",
        );
        this.compressors.set(bits, compressor);
      }
      const compressed = compressor.compress(this.#bytes());
      // Too short to gain (or an 8-bit window): the plain frame, valid on a deflate socket too.
      frame = compressed
        ? encodeFrame(FrameOpcode.TEXT, compressed, { rsv1: true })
        : this.#plainFrame();
      this.#compressed.set(bits, frame);
    }
    return frame;
  }

  #bytes(): Uint8Array {
    this.#payload ??= encoder.encode(this.text);
    return this.#payload;
  }

  #plainFrame(): Uint8Array {
    this.#plain ??= encodeFrame(FrameOpcode.TEXT, this.#bytes());
    return this.#plain;
  }
}

/** Pushes stored messages to WebSocket sessions in id order; see the file comment. */
export class LiveFeed {
  readonly #store: ChatStorage;
  readonly #options: LiveFeedOptions;
  readonly #live = new Set<Subscriber>();
  readonly #all = new Map<WebSocketSession, Subscriber>();
  /** The highest id read and pushed by the feed; undefined until the first socket needs it. */
  #cursor: number | undefined;
  #starting: Promise<number> | undefined;
  /** The highest id announced. */
  #target = 0;
  #reading = false;
  #closed = false;
  /** A compressor per server window size (no context takeover: they keep nothing between uses). */
  readonly #compressors = new Map<number, PerMessageDeflate>();

  constructor(store: ChatStorage, options: LiveFeedOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Open sockets. */
  get size(): number {
    return this.#all.size;
  }

  /** Message `id` is stored (here or on another instance): read and push what is new. */
  notify(id: number): void {
    if (id > this.#target) this.#target = id;
    if (this.#all.size > 0) void this.#follow();
  }

  /** A socket opened: sends the messages after `since` (none when undefined), then the live ones. */
  open(session: WebSocketSession, since: number | undefined): void {
    if (this.#closed) {
      session.close(1001, "server stopping");
      return;
    }
    const subscriber: Subscriber = { session, lastSentId: since ?? -1 };
    this.#all.set(session, subscriber);
    void session.closed.then(() => {
      this.#all.delete(session);
      this.#live.delete(subscriber);
    });
    void this.#catchUp(subscriber);
  }

  /** Closes every socket with 1001 (going away); they may reconnect elsewhere with since=. */
  close(): void {
    this.#closed = true;
    for (const session of this.#all.keys()) session.close(1001, "server stopping");
    this.#live.clear();
  }

  /** The cursor, reading the store's latest id the first time it is needed. */
  #start(): Promise<number> {
    if (this.#cursor !== undefined) return Promise.resolve(this.#cursor);
    this.#starting ??= this.#store.latestId().then(
      (id) => {
        this.#cursor ??= id;
        this.#starting = undefined;
        void this.#follow();
        return this.#cursor;
      },
      (error) => {
        this.#starting = undefined;
        throw error;
      },
    );
    return this.#starting;
  }

  /** Reads the store after the cursor and pushes, until the announced ids are covered. */
  async #follow(): Promise<void> {
    if (this.#reading || this.#cursor === undefined) return;
    this.#reading = true;
    try {
      while (!this.#closed && this.#all.size > 0 && this.#target > this.#cursor) {
        const batch = await this.#store.since(this.#cursor, PAGE);
        if (batch.length === 0) {
          // Announced but not in this store (another chat on the same Redis channel): nothing to push.
          this.#target = this.#cursor;
          break;
        }
        for (const message of batch) {
          this.#cursor = message.id;
          this.#push(message);
        }
        if (batch.length === PAGE && this.#target <= this.#cursor) this.#target = this.#cursor + 1;
      }
    } catch (error) {
      // The next announcement or re-check tries again; sockets stay open and lose nothing, since
      // the cursor only moves past messages that were pushed.
      this.#options.onStoreError?.(error);
    } finally {
      this.#reading = false;
    }
  }

  #push(message: ChatMessage): void {
    let frames: MessageFrames | undefined;
    for (const subscriber of this.#live) {
      if (message.id <= subscriber.lastSentId) continue; // the catch-up sent it already
      const { session } = subscriber;
      if (session.queuedBytes > this.#options.maxLagBytes) {
        // Not reading fast enough: stop queueing, catch up from the store once drained.
        this.#live.delete(subscriber);
        void this.#catchUp(subscriber);
        continue;
      }
      frames ??= new MessageFrames(frameOf(message), this.#compressors);
      const frame = frames.for(session);
      if (frame) session.sendFrame(frame);
      else session.send(frames.text);
      subscriber.lastSentId = message.id;
    }
  }

  /** Sends from the store until the socket has reached the cursor, then joins the live set. */
  async #catchUp(subscriber: Subscriber): Promise<void> {
    const { session } = subscriber;
    try {
      const cursor = await this.#start();
      if (subscriber.lastSentId < 0) subscriber.lastSentId = cursor; // no since=: live only
      for (;;) {
        if (this.#closed || session.readyState !== "open") return;
        if (session.queuedBytes > this.#options.maxLagBytes) {
          await session.drained();
          continue;
        }
        // Checked and joined in one turn: the feed's next read starts after this cursor.
        if (subscriber.lastSentId >= (this.#cursor as number)) {
          this.#live.add(subscriber);
          void this.#follow(); // announcements that came while no socket was open
          return;
        }
        const batch = await this.#store.since(subscriber.lastSentId, PAGE);
        if (session.readyState !== "open") return;
        for (const message of batch) {
          if (message.id <= subscriber.lastSentId) continue;
          session.send(frameOf(message));
          subscriber.lastSentId = message.id;
        }
        if (batch.length === 0) {
          // Nothing after lastSentId although the cursor is past it: cannot happen with an
          // append-only store; join rather than loop.
          subscriber.lastSentId = Math.max(subscriber.lastSentId, this.#cursor as number);
        }
      }
    } catch (error) {
      this.#options.onStoreError?.(error);
      if (session.readyState === "open") {
        session.send(JSON.stringify({ error: "storage unavailable", code: "STORAGE_UNAVAILABLE" }));
        session.close(1011, "storage unavailable");
      }
    }
  }
}
