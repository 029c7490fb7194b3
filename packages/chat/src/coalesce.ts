// Output coalescing: hold each client's output briefly so several messages leave in one write.
// When it leaves is framing's ReleaseSchedule (the policy WebSocketRoom shares): at the end of a
// turn the group of clients that waited longest, everything after a quiet spell, nothing held
// longer than delayMs. Order per client is kept: everything to a client goes through here.
import { RELEASE_GROUPS, ReleaseSchedule, SharedJoin } from "@netkit/framing";

/** Where released bytes go (framing's Connection). The bytes may be shared by several sinks. */
export interface ByteSink {
  /** Queues for the end of the turn (the connection coalesces): used when nothing is held. */
  sendBytes(bytes: Uint8Array): boolean;
  /** Writes at once: a release is already this client's one write, so no copy, no extra pass. */
  sendBytesNow(bytes: Uint8Array): boolean;
}

/** One client's held output. */
export class Outbox {
  /** @internal */ held: Uint8Array[] = [];

  constructor(
    readonly sink: ByteSink,
    readonly coalescer: Coalescer,
    /** @internal the group whose turn releases it */ readonly group: number,
  ) {}

  /** Queues bytes for this client (sent at once when coalescing is off). */
  send(bytes: Uint8Array): void {
    this.coalescer.hold(this, bytes);
  }

  /** Messages waiting in this outbox. */
  get heldCount(): number {
    return this.held.length;
  }
}

export interface CoalescerOptions {
  /** Clock. @default performance.now */
  nowMs?: () => number;
}

export class Coalescer {
  /** Per group: the outboxes holding something. */
  #holding: Outbox[][] = Array.from({ length: RELEASE_GROUPS }, () => []);
  #assigned = 0;
  readonly #schedule: ReleaseSchedule;

  /** `delayMs`: the longest output may be held; 0 = no holding, every send goes straight out. */
  constructor(
    readonly delayMs: number,
    options: CoalescerOptions = {},
  ) {
    if (!Number.isInteger(delayMs) || delayMs < 0) {
      throw new RangeError(`coalesceMs must be a non-negative integer, got ${delayMs}`);
    }
    this.#schedule = new ReleaseSchedule(
      delayMs,
      (group) => this.#release(group),
      options.nowMs ?? (() => performance.now()),
    );
  }

  outbox(sink: ByteSink): Outbox {
    return new Outbox(sink, this, this.#assigned++ % RELEASE_GROUPS);
  }

  /** @internal */
  hold(box: Outbox, bytes: Uint8Array): void {
    if (this.delayMs === 0) {
      box.sink.sendBytes(bytes);
      return;
    }
    if (box.held.length === 0) this.#holding[box.group]!.push(box);
    box.held.push(bytes);
    this.#schedule.held(box.group);
  }

  /** Hands everything held to the sinks now, in order. */
  releaseAll(): void {
    this.#schedule.releaseAll();
  }

  #release(group: number): void {
    const boxes = this.#holding[group]!;
    if (boxes.length === 0) return;
    this.#holding[group] = [];
    const joiner = new SharedJoin();
    for (const box of boxes) {
      const held = box.held;
      box.held = [];
      box.sink.sendBytesNow(joiner.join(held)); // false (closed or overflowed): the sink drops it
    }
  }
}
