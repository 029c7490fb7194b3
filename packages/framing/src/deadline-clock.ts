// One coarse clock and one sweep for every connection's deadlines (idle, message progress, stalled
// reader), instead of a timer per connection: a data callback only reads a number, and 10,000
// connections cost one interval that visits each of them four times a second.

/** How often deadlines are checked: they fire at most this late. */
export const SWEEP_INTERVAL_MS = 250;

export interface Sweepable {
  /** Checks this connection's deadlines at `now` (performance.now() of the sweep). */
  checkDeadlines(now: number): void;
}

const watched = new Set<Sweepable>();
let timer: ReturnType<typeof setInterval> | undefined;
let now = performance.now();

/** The time of the last sweep (or of the last `watch`), in performance.now() milliseconds. */
export function coarseNow(): number {
  return now;
}

function sweep(): void {
  now = performance.now();
  for (const item of watched) item.checkDeadlines(now);
}

/** Starts checking `item`'s deadlines. */
export function watch(item: Sweepable): void {
  now = performance.now();
  watched.add(item);
  if (timer === undefined) {
    timer = setInterval(sweep, SWEEP_INTERVAL_MS);
    // The sockets keep the process alive; the sweep alone must not.
    (timer as { unref?: () => void }).unref?.();
  }
}

/** Stops checking `item`. */
export function unwatch(item: Sweepable): void {
  watched.delete(item);
  if (watched.size === 0 && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
  }
}
