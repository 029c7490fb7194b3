// WebSocketRoom: fan-out to many server sessions, each message framed once and, on a busy room,
// several messages leaving in one write per peer.
//
// Why coalesce: a fan-out's cost is the writes. Each `write` to a socket costs a few µs of kernel
// time whatever it carries, against well under 1 µs of JavaScript per delivery, so a room holds
// what it publishes to a peer briefly and writes it together, straight from the shared bytes (no
// copy: framing's `sendBytesNow`). When it leaves is framing's ReleaseSchedule, the policy the
// chat room shares: after each turn that published something the group of members that waited
// longest, everything after a quiet spell, nothing held longer than `coalesceMs`.
// Order per peer holds: anything else sent to a session (send, sendFrame, ping, close) writes
// what the room holds for it first.
import { RELEASE_GROUPS, ReleaseSchedule, SharedJoin } from "@netkit/framing";
import { FrameOpcode } from "./constants.ts";
import { encodeFrame } from "./frame-encoder.ts";
import {
  heldFrames,
  holdShared,
  type MessageData,
  type WebSocketSession,
  writeHeld,
} from "./session.ts";

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
  readonly #schedule: ReleaseSchedule;
  /** Where each member is: its group and its index in that group's array. */
  readonly #members = new Map<WebSocketSession, { group: number; index: number }>();
  readonly #groups: WebSocketSession[][] = Array.from({ length: RELEASE_GROUPS }, () => []);

  constructor(options: WebSocketRoomOptions = {}) {
    const coalesceMs = options.coalesceMs ?? WEBSOCKET_ROOM_DEFAULTS.coalesceMs;
    if (!Number.isInteger(coalesceMs) || coalesceMs < 0) {
      throw new RangeError(`coalesceMs must be a non-negative integer, got ${coalesceMs}`);
    }
    this.coalesceMs = coalesceMs;
    this.#schedule = new ReleaseSchedule(
      coalesceMs,
      (group) => release(this.#groups[group]!),
      options.nowMs ?? (() => performance.now()),
    );
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
    for (let g = 1; g < RELEASE_GROUPS; g++) {
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
    for (let group = 0; group < RELEASE_GROUPS; group++) {
      const members = this.#groups[group]!;
      let held = 0;
      for (let i = 0; i < members.length; i++) if (holdShared(members[i]!, frame)) held++;
      if (held > 0) this.#schedule.held(group);
      count += held;
    }
    return count;
  }

  /** Writes everything held now (before a shutdown, say). */
  flush(): void {
    this.#schedule.releaseAll();
  }

  *[Symbol.iterator](): IterableIterator<WebSocketSession> {
    yield* this.#members.keys();
  }
}

/**
 * Writes what is held for each session, one write each. Members of a room mostly hold the same
 * frames: those are joined once and the same bytes written to each.
 */
function release(sessions: readonly WebSocketSession[]): void {
  const joiner = new SharedJoin();
  for (let i = 0; i < sessions.length; i++) {
    const session = sessions[i]!;
    const held = heldFrames(session);
    if (held.length > 0) writeHeld(session, joiner.join(held));
  }
}
