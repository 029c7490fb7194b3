// A throwaway redis-server on 127.0.0.1 for tests: free port, no persistence, temp dir.
// Reusable: `const r = await startRedis(); ... r.url ...; await r.stop();` (restart() keeps the port).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, haveTool, waitForPort } from "./ports.ts";

export const REDIS_SERVER = "redis-server";

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL: clients see the connection drop). */
  kill(): Promise<void>;
  /** Starts it again on the same port (after kill()). */
  restart(): Promise<void>;
  /** Kills it and removes its temp dir. */
  stop(): Promise<void>;
}

/** True when redis-server is installed; under CI a missing one throws. */
export function haveRedis(): boolean {
  return haveTool(REDIS_SERVER, "redis-server");
}

export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), "netkit-redis-"));
  const port = await freePort();
  let proc: Bun.Subprocess | null = null;
  const spawn = async () => {
    proc = Bun.spawn(
      [
        REDIS_SERVER,
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
      ],
      { stdout: "ignore", stderr: "ignore", stdin: "ignore" },
    );
    await waitForPort(port, 10_000);
  };
  const kill = async () => {
    const p = proc;
    proc = null;
    if (p) {
      p.kill(9);
      await p.exited;
    }
  };
  await spawn();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: spawn,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
