// A free loopback TCP port: bind port 0, read it, release it (small race, fine for tests).
import { existsSync } from "node:fs";
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port, or throws after timeoutMs. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
      await Bun.sleep(50);
    }
  }
}

/**
 * Whether an external binary exists. Under CI a missing tool is a failure (throws); locally the
 * caller skips, and this prints why, loudly.
 */
export function haveTool(path: string, what: string): boolean {
  if (Bun.which(path) !== null || existsSync(path)) return true;
  const message = `${what} not found (${path}): install it (Debian: .ci/run lists the apt packages)`;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n*** SKIPPING: ${message} ***\n`);
  return false;
}
