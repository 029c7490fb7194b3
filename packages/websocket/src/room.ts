// WebSocketRoom: fan-out to many server sessions, each message framed once and, on a busy room,
// several messages leaving in one write per peer.
//
// Why coalesce: a fan-out's cost is the writes. Each `write` to a socket costs a few µs of kernel
// time whatever it carries (on loopback the receiving side's TCP work is charged to the sender
// too), against well under 1 µs of JavaScript per delivery, so the CPU a fan-out needs is about
// the number of writes. A room therefore holds what it publishes to a peer briefly and writes it
// together:
// - Members are dealt into GROUPS groups. After each event-loop turn that published something,
//   the group that has waited longest gets everything held for it, each peer in one write
//   (straight from the shared bytes, no copy: framing's `sendBytesNow`). In a busy room a peer so
//   gets one write per GROUPS messages, and that write leaves right after a message came in,
//   carrying it at once; and only a third of the peers are written to per turn, so input is not
//   kept waiting behind one long burst of writes.
// - A turn after a quiet spell (nothing released for `coalesceMs`) releases every group: nothing
//   else is coming to share those writes, so a quiet room adds no delay.
// - Nothing waits longer than `coalesceMs`: a timer releases a group whose oldest frame is that old.
// - Order per peer holds: anything else sent to a session (send, sendFrame, ping, close) writes
//   what the room holds for it first.
import { FrameOpcode } from "./constants.ts";
import { encodeFrame } from "./frame-encoder.ts";
import {
  heldFrames,
  holdShared,
  type MessageData,
  type WebSocketSession,
  writeHeld,
} from "./session.ts";

/** A busy room's peer gets one write per this many messages (while within coalesceMs). */
const GROUPS = 3;
/** Turns closer together than this count as one (several messages read in one go). */
const MIN_TURN_GAP_MS = 2;

/** Options of `WebSocketRoom`: how long output may be held to write several messages at once. */
export interface WebSocketRoomOptions {
  /**
   * The longest a published message may be held to share a write with the next ones, in ms;
   * 0 = every publish goes out at the end of its turn (one write per peer per turn). In a busy
   * room (a message every few ms) each peer gets one write per three messages, so the oldest
   * message in a write is two message gaps old; this caps it when messages are sparse.
   * @default 12
   */
  coalesceMs?: number;
  /** Clock. @default performance.now */
  nowMs?: () => number;
}

/** What `WebSocketRoom` uses for an option left out. */
export const WEBSOCKET_ROOM_DEFAULTS = { coalesceMs: 12 };

const encoder = new TextEncoder();

/**
 * A set of server sessions that messages are published to: each message is framed once and the
 * same bytes go to every member (compare Bun.serve's `server.publish`). A member leaves when its
 * session closes, or with `delete`.
 */
export class WebSocketRoom {
  readonly coalesceMs: number;
  readonly #nowMs: () => number;
  /** Where each member is: its group and its index in that group's array. */
  readonly #members = new Map<WebSocketSession, { group: number; index: number }>();
  readonly #groups: WebSocketSession[][] = Array.from({ length: GROUPS }, () => []);
  /** Per group: when its oldest held frame was published; NaN while it holds nothing. */
  readonly #since: number[] = Array.from({ length: GROUPS }, () => Number.NaN);
  #lastReleaseMs = Number.NEGATIVE_INFINITY;
  #turnPending = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: WebSocketRoomOptions = {}) {
    const coalesceMs = options.coalesceMs ?? WEBSOCKET_ROOM_DEFAULTS.coalesceMs;
    if (!Number.isInteger(coalesceMs) || coalesceMs < 0) {
      throw new RangeError(`coalesceMs must be a non-negative integer, got ${coalesceMs}`);
    }
    this.coalesceMs = coalesceMs;
    this.#nowMs = options.nowMs ?? (() => performance.now());
  }

  /** Members now. */
  get size(): number {
    return this.#members.size;
  }

  has(session: WebSocketSession): boolean {
    return this.#members.has(session);
  }

  /** Adds a server session (a closed one is ignored); it leaves by itself when it closes. */
  add(session: WebSocketSession): void {
    if (session.role !== "server") {
      throw new TypeError("a room takes server sessions: a client's frames need a fresh mask each");
    }
    if (this.#members.has(session) || session.readyState === "closed") return;
    let group = 0;
    for (let g = 1; g < GROUPS; g++) {
      if (this.#groups[g]!.length < this.#groups[group]!.length) group = g;
    }
    const members = this.#groups[group]!;
    this.#members.set(session, { group, index: members.length });
    members.push(session);
    void session.closed.then(() => this.delete(session));
  }

  /** Removes a member (what the room holds for it is still written). False if it was not one. */
  delete(session: WebSocketSession): boolean {
    const place = this.#members.get(session);
    if (!place) return false;
    this.#members.delete(session);
    const members = this.#groups[place.group]!;
    const last = members.pop()!;
    if (last !== session) {
      members[place.index] = last;
      this.#members.get(last)!.index = place.index;
    }
    if (heldFrames(session).length > 0) release([session]);
    return true;
  }

  /** Publishes a message to every open member (a string as text, bytes as binary); returns how many. */
  publish(data: MessageData): number {
    if (this.#members.size === 0) return 0;
    return typeof data === "string"
      ? this.publishFrame(encodeFrame(FrameOpcode.TEXT, encoder.encode(data)))
      : this.publishFrame(encodeFrame(FrameOpcode.BINARY, data));
  }

  /**
   * Publishes a frame encoded with `encodeFrame` (unmasked, not a close frame, no RSV1: members
   * need not have agreed on compression), as it is. Returns the number of members it is for.
   */
  publishFrame(frame: Uint8Array): number {
    const first = frame[0] ?? 0;
    if (
      frame.length < 2 ||
      (first & 0x0f) === FrameOpcode.CLOSE ||
      (first & 0x70) !== 0 ||
      (frame[1]! & 0x80) !== 0
    ) {
      throw new RangeError("publishFrame takes an unmasked, non-close frame without RSV bits");
    }
    let count = 0;
    const now = this.#members.size > 0 ? this.#nowMs() : 0;
    for (let group = 0; group < GROUPS; group++) {
      const members = this.#groups[group]!;
      let held = 0;
      for (let i = 0; i < members.length; i++) if (holdShared(members[i]!, frame)) held++;
      if (held > 0 && Number.isNaN(this.#since[group]!)) this.#since[group] = now;
      count += held;
    }
    if (count > 0 && !this.#turnPending) {
      this.#turnPending = true;
      queueMicrotask(this.#endOfTurn); // after everything this turn publishes is held
    }
    return count;
  }

  /** Writes everything held now (before a shutdown, say). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (let group = 0; group < GROUPS; group++) this.#release(group);
  }

  *[Symbol.iterator](): IterableIterator<WebSocketSession> {
    yield* this.#members.keys();
  }

  #endOfTurn = (): void => {
    this.#turnPending = false;
    const now = this.#nowMs();
    const sinceRelease = now - this.#lastReleaseMs;
    if (sinceRelease >= this.coalesceMs) {
      this.#lastReleaseMs = now;
      for (let group = 0; group < GROUPS; group++) this.#release(group);
    } else if (sinceRelease >= MIN_TURN_GAP_MS) {
      this.#lastReleaseMs = now;
      this.#release(this.#oldestGroup());
    }
    this.#arm(now);
  };

  /** Releases the groups whose oldest frame has waited coalesceMs (1 ms early: timers run late). */
  #onTimer = (): void => {
    this.#timer = undefined;
    const now = this.#nowMs();
    for (let group = 0; group < GROUPS; group++) {
      if (now - this.#since[group]! >= this.coalesceMs - 1) this.#release(group);
    }
    this.#arm(now);
  };

  /** The group holding the oldest frame (0 when none holds anything: releasing it is a no-op). */
  #oldestGroup(): number {
    let oldest = 0;
    let oldestSince = Number.POSITIVE_INFINITY;
    for (let group = 0; group < GROUPS; group++) {
      const since = this.#since[group]!;
      if (since < oldestSince) {
        oldest = group; // NaN (holds nothing) compares false
        oldestSince = since;
      }
    }
    return oldest;
  }

  /** Sets the timer for the oldest held frame, if any and if not set already. */
  #arm(now: number): void {
    if (this.#timer) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const since of this.#since) if (since < oldest) oldest = since; // NaN compares false
    if (oldest === Number.POSITIVE_INFINITY) return;
    this.#timer = setTimeout(this.#onTimer, Math.max(1, oldest + this.coalesceMs - now));
  }

  #release(group: number): void {
    if (Number.isNaN(this.#since[group]!)) return;
    this.#since[group] = Number.NaN;
    release(this.#groups[group]!);
  }
}

/**
 * Writes what is held for each session, one write each. Members of a room mostly hold the same
 * frames: those are joined once and the same bytes written to each.
 */
function release(sessions: readonly WebSocketSession[]): void {
  let parts: Uint8Array[] = [];
  let joined: Uint8Array | undefined;
  for (let i = 0; i < sessions.length; i++) {
    const session = sessions[i]!;
    const held = heldFrames(session);
    if (held.length === 0) continue;
    if (held.length === 1) {
      writeHeld(session, held[0]!);
      continue;
    }
    if (joined === undefined || !sameFrames(held, parts)) {
      parts = held.slice();
      joined = join(held);
    }
    writeHeld(session, joined);
  }
}

function sameFrames(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function join(frames: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const frame of frames) size += frame.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}
