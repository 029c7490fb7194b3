// Interop with independent implementations: the ws package on Node (as client of our server and as
// server for our client) and Debian's python3-websockets (as client). Under CI a missing tool fails.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { requireTool } from "@netkit/testkit";
import { connectWebSocket } from "../../src/client.ts";
import { type EchoServer, startEchoServer } from "../echo-server.ts";

const node = requireTool("node", "nodejs");
// Debian's python3-websockets installs for the system interpreter, not for a pyenv or venv one.
const python = existsSync("/usr/bin/python3")
  ? "/usr/bin/python3"
  : requireTool("python3", "python3");
const hasPythonWebsockets =
  python !== undefined && Bun.spawnSync([python, "-c", "import websockets"]).exitCode === 0;
if (!hasPythonWebsockets && process.env.CI) {
  throw new Error("python3-websockets is missing: CI must install python3-websockets");
}
if (!hasPythonWebsockets)
  console.warn("!!! python3-websockets not found: skipping (apt install python3-websockets)");

let server: EchoServer;
beforeAll(async () => {
  server = await startEchoServer({ upgrade: { deflate: {}, protocols: ["echo.v1"] } });
});
afterAll(() => server.stop());

async function runJson(cmd: string[]): Promise<Record<string, unknown>> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", cwd: join(import.meta.dir, "../..") });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}\n${out}\n${err}`);
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}");
}

describe("ws (Node) as a client of our server", () => {
  test.skipIf(!node).each(["plain", "deflate"])(
    "%s",
    async (mode) => {
      const result = await runJson([
        node!,
        join(import.meta.dir, "ws-client.mjs"),
        `ws://127.0.0.1:${server.port}/`,
        mode,
      ]);
      expect(result).toEqual({
        equal: true,
        count: 5,
        pong: "are you there",
        code: 4001,
        reason: "",
        protocol: "echo.v1",
        // ws offered client_max_window_bits=11; it binds ws itself, so no answer is needed.
        extensions: mode === "deflate" ? "permessage-deflate" : "",
      });
    },
    20_000,
  );
});

describe("ws (Node) as a server for our client", () => {
  test.skipIf(!node).each(["plain", "deflate"])(
    "%s",
    async (mode) => {
      const child = Bun.spawn([node!, join(import.meta.dir, "ws-server.mjs"), mode], {
        stdin: "pipe",
        stdout: "pipe",
        cwd: join(import.meta.dir, "../.."),
      });
      const reader = child.stdout.getReader();
      const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
      try {
        const ws = await connectWebSocket(`ws://127.0.0.1:${port}/`, {
          protocols: ["echo.v1"],
          deflate: mode === "deflate",
        });
        expect(ws.protocol).toBe("echo.v1");
        expect(ws.deflate?.serverMaxWindowBits ?? 0).toBe(mode === "deflate" ? 10 : 0);
        const sent = [
          "hi",
          "κόσμε",
          "z".repeat(200_000),
          Uint8Array.of(1, 2, 3),
          "again ".repeat(3000),
        ];
        for (const m of sent) ws.send(m);
        for (const m of sent) expect(await ws.next()).toEqual(m);
        ws.close(1000, "bye");
        expect(await ws.closed).toEqual({ code: 1000, reason: "bye", wasClean: true });
      } finally {
        child.stdin.end();
        await child.exited;
      }
    },
    20_000,
  );
});

describe("python3-websockets as a client of our server", () => {
  test.skipIf(!hasPythonWebsockets)(
    "echo with permessage-deflate, ping, close",
    async () => {
      const result = await runJson([
        python!,
        join(import.meta.dir, "python-client.py"),
        `ws://127.0.0.1:${server.port}/`,
      ]);
      expect(result).toEqual({
        equal: true,
        count: 5,
        code: 4002,
        extensions: ["permessage-deflate"],
      });
    },
    20_000,
  );
});
