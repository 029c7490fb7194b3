// When output held back for a fan-out leaves: the policy the chat room's Coalescer and
// WebSocketRoom share. On a busy server most CPU goes to writes (one syscall each; on loopback the
// receiver's TCP work is charged to the sender too), so fewer, larger writes per peer buy CPU for
// a bounded delay.
// - Peers are dealt into RELEASE_GROUPS groups. At the end of each event-loop turn that held
//   something, the group that has waited longest is released. In a busy room each peer so gets
//   one write per RELEASE_GROUPS messages, and that write leaves right after a message arrived,
//   carrying it at once (a timer would fire at an arbitrary moment between messages, adding half
//   a message gap on average for the same number of writes). Releasing a third of the peers at a
//   time also keeps each burst of writes short, so input is not kept waiting behind it.
// - A turn after a quiet spell (nothing released for delayMs) releases every group: nothing else
//   is coming to share those writes.
// - Nothing waits longer than delayMs: a timer releases any group whose oldest output is that old.

/**
 * Groups a fan-out deals its peers into. 3 keeps the oldest message of a write at two message
 * gaps: at 1,000 peers and 200 messages/s that is 10 ms.
 */
export const RELEASE_GROUPS = 3;
/** Turns closer together than this count as one (a burst of input, several messages per read). */
const MIN_TURN_GAP_MS = 2;

/** Decides when each group of a fan-out's peers gets what is held for it (see the file comment). */
export class ReleaseSchedule {
  /** The longest output is held, in ms. */
  readonly delayMs: number;
  readonly #release: (group: number) => void;
  readonly #nowMs: () => number;
  /** Per group: when its oldest held output was queued; NaN while it holds nothing. */
  readonly #since: number[] = Array.from({ length: RELEASE_GROUPS }, () => Number.NaN);
  #lastReleaseMs = Number.NEGATIVE_INFINITY;
  #turnPending = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `release(group)` writes what is held for that group's peers. */
  constructor(
    delayMs: number,
    release: (group: number) => void,
    nowMs: () => number = () => performance.now(),
  ) {
    this.delayMs = delayMs;
    this.#release = release;
    this.#nowMs = nowMs;
  }

  /** Output is held for `group` now: its wait starts with its first, and the turn's end is checked. */
  held(group: number): void {
    if (Number.isNaN(this.#since[group]!)) this.#since[group] = this.#nowMs();
    if (!this.#turnPending) {
      this.#turnPending = true;
      queueMicrotask(this.#endOfTurn); // after everything this turn holds
    }
  }

  /** Releases every group now (a shutdown, say). */
  releaseAll(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (let group = 0; group < RELEASE_GROUPS; group++) this.#releaseGroup(group);
  }

  #endOfTurn = (): void => {
    this.#turnPending = false;
    const now = this.#nowMs();
    const sinceRelease = now - this.#lastReleaseMs;
    if (sinceRelease >= this.delayMs) {
      this.#lastReleaseMs = now;
      for (let group = 0; group < RELEASE_GROUPS; group++) this.#releaseGroup(group);
    } else if (sinceRelease >= MIN_TURN_GAP_MS) {
      this.#lastReleaseMs = now;
      this.#releaseGroup(this.#oldestGroup());
    }
    this.#arm(now);
  };

  /** Releases the groups whose oldest output has waited delayMs (1 ms early: timers run late). */
  #onTimer = (): void => {
    this.#timer = undefined;
    const now = this.#nowMs();
    for (let group = 0; group < RELEASE_GROUPS; group++) {
      if (now - this.#since[group]! >= this.delayMs - 1) this.#releaseGroup(group);
    }
    this.#arm(now);
  };

  /** The group that has waited longest (0 when none holds anything: releasing it is a no-op). */
  #oldestGroup(): number {
    let oldest = 0;
    let oldestSince = Number.POSITIVE_INFINITY;
    for (let group = 0; group < RELEASE_GROUPS; group++) {
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

  #releaseGroup(group: number): void {
    if (Number.isNaN(this.#since[group]!)) return;
    this.#since[group] = Number.NaN;
    this.#release(group);
  }
}

/**
 * Joins the parts held for one peer into one write. Neighbouring peers of a fan-out mostly hold
 * the very same parts (the same broadcasts): the last join is reused for them, so a release costs
 * one join per distinct run, not one per peer. A single part is returned as it is.
 */
export class SharedJoin {
  #parts: readonly Uint8Array[] = [];
  #joined: Uint8Array | undefined;

  /** `parts` joined (the same bytes as the last call when it held the same parts). */
  join(parts: readonly Uint8Array[]): Uint8Array {
    if (parts.length === 1) return parts[0] as Uint8Array;
    if (this.#joined === undefined || !sameParts(parts, this.#parts)) {
      this.#parts = parts.slice();
      this.#joined = concat(parts);
    }
    return this.#joined;
  }
}

function sameParts(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
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
