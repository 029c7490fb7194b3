// Test helpers: a raw TCP client that records what the server sends and whether it closed.

export interface RawExchange {
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** True if the server closed the connection before the wait ended. */
  closed: boolean;
}

/**
 * Opens a TCP connection, writes each part (pausing `gapMs` between parts), then collects the
 * reply until the server closes or `waitMs` passes.
 */
export async function rawRequest(
  port: number,
  parts: (string | Uint8Array)[] | string,
  options: { waitMs?: number; gapMs?: number; until?: (text: string) => boolean } = {},
): Promise<RawExchange> {
  const list = typeof parts === "string" ? [parts] : parts;
  let text = "";
  let closed = false;
  let wake: () => void = () => {};
  const changed = () => wake();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, chunk) {
        text += Buffer.from(chunk).toString("latin1");
        changed();
      },
      close() {
        closed = true;
        changed();
      },
      error() {
        closed = true;
        changed();
      },
    },
  });
  for (const [i, part] of list.entries()) {
    if (closed) break;
    socket.write(typeof part === "string" ? Buffer.from(part, "latin1") : part);
    if (options.gapMs && i < list.length - 1) await Bun.sleep(options.gapMs);
  }
  const deadline = Date.now() + (options.waitMs ?? 2000);
  while (!closed && !(options.until?.(text) ?? false) && Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, Math.max(1, deadline - Date.now()));
    });
  }
  const result = { text, closed }; // before end(): our own end() fires close synchronously
  socket.end();
  return result;
}

/** The status codes of every response in a raw reply, in order. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}
