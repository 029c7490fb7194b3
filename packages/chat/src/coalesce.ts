// Output coalescing: hold each client's output briefly so several messages leave in one write.
// On a busy server most CPU goes to writes (one syscall each; on loopback the receiver's TCP work
// is charged to the sender too), so fewer, larger writes per client buy CPU for a bounded delay.
// Order per client is kept: everything to a client goes through here.
//
// When output leaves:
// - Clients are dealt round-robin into GROUPS groups. At the end of each event-loop turn that
//   produced output (someone said something), the group that has waited longest gets everything
//   held for it. In a busy room each client so gets one write per GROUPS messages, and that write
//   leaves right after a message arrived, carrying it at once; a timer would fire at an arbitrary
//   moment between messages, adding on average half a message gap to every line for the same
//   number of writes. Releasing a third of the clients at a time also keeps each burst of writes
//   short (a thousand writes take ~5 ms, and input arriving meanwhile waits for them).
// - A turn after a quiet spell (no turn released anything for delayMs) releases every group:
//   nothing else is coming to share those writes.
// - Nothing waits longer than delayMs: a timer releases any group whose oldest output is that old.

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

/**
 * A busy room's client gets one write per this many messages (while within delayMs). 3 keeps the
 * oldest line of a write at two message gaps: at 1,000 clients and 200 lines/s that is 10 ms.
 */
const GROUPS = 3;
/** Turns closer together than this count as one (a burst of input, or several lines per read). */
const MIN_TURN_GAP_MS = 2;

export interface CoalescerOptions {
  /** Clock. @default performance.now */
  nowMs?: () => number;
}

export class Coalescer {
  /** Per group: the outboxes holding something. */
  #holding: Outbox[][] = Array.from({ length: GROUPS }, () => []);
  /** Per group: when its oldest held output was queued; NaN while it holds nothing. */
  readonly #since: number[] = Array.from({ length: GROUPS }, () => Number.NaN);
  #assigned = 0;
  #lastReleaseMs = Number.NEGATIVE_INFINITY;
  #turnPending = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #nowMs: () => number;

  /** `delayMs`: the longest output may be held; 0 = no holding, every send goes straight out. */
  constructor(
    readonly delayMs: number,
    options: CoalescerOptions = {},
  ) {
    if (!Number.isInteger(delayMs) || delayMs < 0) {
      throw new RangeError(`coalesceMs must be a non-negative integer, got ${delayMs}`);
    }
    this.#nowMs = options.nowMs ?? (() => performance.now());
  }

  outbox(sink: ByteSink): Outbox {
    return new Outbox(sink, this, this.#assigned++ % GROUPS);
  }

  /** @internal */
  hold(box: Outbox, bytes: Uint8Array): void {
    if (this.delayMs === 0) {
      box.sink.sendBytes(bytes);
      return;
    }
    if (box.held.length === 0) {
      const boxes = this.#holding[box.group]!;
      if (boxes.length === 0) this.#since[box.group] = this.#nowMs();
      boxes.push(box);
    }
    box.held.push(bytes);
    if (!this.#turnPending) {
      this.#turnPending = true;
      queueMicrotask(this.#endOfTurn); // after the whole fan-out of this turn is held
    }
  }

  /** Hands everything held to the sinks now, in order. */
  releaseAll(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (let group = 0; group < GROUPS; group++) this.#release(group);
  }

  #endOfTurn = (): void => {
    this.#turnPending = false;
    const now = this.#nowMs();
    const sinceRelease = now - this.#lastReleaseMs;
    if (sinceRelease >= this.delayMs) {
      this.#lastReleaseMs = now;
      for (let group = 0; group < GROUPS; group++) this.#release(group);
    } else if (sinceRelease >= MIN_TURN_GAP_MS) {
      this.#lastReleaseMs = now;
      this.#release(this.#oldestGroup());
    }
    this.#arm(now);
  };

  /** Releases the groups whose oldest output has waited delayMs (1 ms early: timers run late). */
  #onTimer = (): void => {
    this.#timer = undefined;
    const now = this.#nowMs();
    for (let group = 0; group < GROUPS; group++) {
      if (now - this.#since[group]! >= this.delayMs - 1) this.#release(group);
    }
    this.#arm(now);
  };

  /** The group that has waited longest (0 when none holds anything: releasing it is a no-op). */
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

  /** Sets the timer for the oldest held output, if any and not set already. */
  #arm(now: number): void {
    if (this.#timer) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const since of this.#since) if (since < oldest) oldest = since; // NaN compares false
    if (oldest === Number.POSITIVE_INFINITY) return;
    this.#timer = setTimeout(this.#onTimer, Math.max(1, oldest + this.delayMs - now));
  }

  #release(group: number): void {
    const boxes = this.#holding[group]!;
    this.#since[group] = Number.NaN;
    if (boxes.length === 0) return;
    this.#holding[group] = [];
    // Neighbouring clients mostly hold the same broadcasts: join them into one chunk once and
    // hand that same chunk to each (one write per client instead of one per message).
    let sharedParts: Uint8Array[] = [];
    let shared: Uint8Array | undefined;
    for (const box of boxes) {
      const held = box.held;
      box.held = [];
      if (held.length === 1) {
        box.sink.sendBytesNow(held[0]!);
        continue;
      }
      if (!shared || !sameParts(held, sharedParts)) {
        sharedParts = held;
        shared = concat(held);
      }
      box.sink.sendBytesNow(shared); // false (closed or overflowed): the sink drops it
    }
  }
}

function sameParts(a: Uint8Array[], b: Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
