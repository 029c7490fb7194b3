// A throwaway PostgreSQL 15 cluster on 127.0.0.1 for tests: initdb into a temp dir, free port,
// trust auth, fsync on (the kill -9 tests rely on real commits). postgres refuses to run as root,
// so when the tests run as root the server runs as the `postgres` user (runuser) and owns the dir.
// Reusable: `const pg = await startPostgres(); ... pg.url ...; await pg.stop();`
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, haveTool, waitForPort } from "./ports.ts";

export const PG_BIN = "/usr/lib/postgresql/15/bin";

export interface TestPostgres {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  /** Stops the server immediately (pg_ctl -m immediate); the data stays for restart(). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  restart(): Promise<void>;
  /** Stops it and removes the data dir. */
  stop(): Promise<void>;
  /** A fresh database in this cluster; returns its URL. */
  createDatabase(name: string): Promise<string>;
}

/** True when PostgreSQL 15 is installed; under CI a missing one throws. */
export function havePostgres(): boolean {
  return haveTool(join(PG_BIN, "postgres"), "PostgreSQL 15 (postgresql package)");
}

function asPostgresUser(argv: string[]): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...argv] : argv;
}

async function run(argv: string[]): Promise<void> {
  const p = Bun.spawn(asPostgresUser(argv), { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const code = await p.exited;
  if (code !== 0) {
    const err = await new Response(p.stderr).text();
    throw new Error(`${argv.join(" ")} exited ${code}: ${err}`);
  }
}

export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), "netkit-pg-"));
  const data = join(dir, "data");
  if (process.getuid?.() === 0) {
    const u = Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString().trim();
    const g = Bun.spawnSync(["id", "-g", "postgres"]).stdout.toString().trim();
    chownSync(dir, Number(u), Number(g));
  }
  chmodSync(dir, 0o700);
  await run([
    join(PG_BIN, "initdb"),
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--no-locale",
  ]);
  const port = await freePort();
  const start = async () => {
    await run([
      join(PG_BIN, "pg_ctl"),
      "-D",
      data,
      "-l",
      join(dir, "log"),
      "-w",
      "-t",
      "30",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      "start",
    ]);
    await waitForPort(port, 10_000);
  };
  const kill = async () => {
    if (existsSync(join(data, "postmaster.pid"))) {
      await run([join(PG_BIN, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]);
    }
  };
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    url,
    kill,
    restart: start,
    async stop() {
      await kill().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const { SQL } = await import("bun");
      const admin = new SQL(url);
      try {
        await admin.unsafe(`CREATE DATABASE ${name}`);
      } finally {
        await admin.close();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
  };
}
