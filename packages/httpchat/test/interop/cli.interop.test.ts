// The CLI command end to end: `bun run apps/cli httpchat` serves the chat, keeps it on disk, exits 0 on SIGTERM.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectWebSocket } from "@netkit/websocket";

const ROOT = new URL("../../../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "httpchat-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startCli(dbPath: string, ...flags: string[]) {
  const child = Bun.spawn(
    ["bun", "run", "apps/cli", "httpchat", "--port", "0", "--print-port", "--db", dbPath, ...flags],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  const reader = child.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 15_000;
  while (!/^\d+\n/.test(text) && Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const port = Number.parseInt(text, 10);
  if (!port) throw new Error(`no port from the CLI: ${await new Response(child.stderr).text()}`);
  return { child, port };
}

test("httpchat serves the seed's POST, and a restart keeps the messages", async () => {
  const dbPath = join(dir, "sub", "chat.sqlite");
  const first = await startCli(dbPath);
  const posted = await fetch(`http://127.0.0.1:${first.port}/chat`, {
    method: "POST",
    body: '{"text":"Hello World!"}',
  });
  expect(posted.status).toBe(201);
  expect(await posted.json()).toEqual({ id: 1 });
  first.child.kill("SIGTERM");
  expect(await first.child.exited).toBe(0);
  expect(await new Response(first.child.stderr).text()).toContain("chat.stop");

  const second = await startCli(dbPath);
  const list = await fetch(`http://127.0.0.1:${second.port}/messages?since=0`);
  expect(((await list.json()) as { text: string }[]).map((m) => m.text)).toEqual(["Hello World!"]);
  second.child.kill("SIGINT");
  expect(await second.child.exited).toBe(0);
}, 40_000);

test("httpchat --help shows the real defaults", async () => {
  const child = Bun.spawn(["bun", "run", "apps/cli", "httpchat", "--help"], {
    cwd: ROOT,
    stdout: "pipe",
  });
  const out = await new Response(child.stdout).text();
  expect(await child.exited).toBe(0);
  expect(out).toContain("default 8888");
  expect(out).toContain("default ./data/httpchat.sqlite");
});

test("httpchat agrees to permessage-deflate on /ws by default; --no-ws-compression turns it off", async () => {
  for (const [flags, agreed] of [
    [[], true],
    [["--no-ws-compression"], false],
  ] as const) {
    const server = await startCli(join(dir, `ws-${agreed}.sqlite`), ...flags);
    try {
      const socket = await connectWebSocket(`ws://127.0.0.1:${server.port}/ws`, { deflate: true });
      expect(socket.deflate !== undefined).toBe(agreed);
      socket.connection.destroy();
    } finally {
      server.child.kill("SIGTERM");
      await server.child.exited;
    }
  }
}, 40_000);
