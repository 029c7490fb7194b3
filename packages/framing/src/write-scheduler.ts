// Coalesces writes: connections that were sent to during one event-loop turn flush once, together.

interface Flushable {
  flushScheduled(): void;
}

let dirty: Flushable[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const batch = dirty;
  dirty = [];
  for (const connection of batch) connection.flushScheduled();
}

/**
 * Queues `connection` to flush after the current turn. setImmediate (not a microtask) so that the
 * sends made by every socket callback of this turn — a whole fan-out — leave in one write each.
 */
export function scheduleFlush(connection: Flushable): void {
  dirty.push(connection);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}
