// Real nc (netcat-openbsd) and socat processes as clients of the echo and chat servers.
import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EchoServer, startEchoServer } from "../../src/echo.ts";
import { type ChatServer, startChatServer } from "../../src/server.ts";
import { LineClient, nc, ncClient, type ProcessClient, socat, socatClient } from "../helpers.ts";

let echo: EchoServer | undefined;
let chat: ChatServer | undefined;
let procs: ProcessClient[] = [];

afterEach(async () => {
  for (const p of procs) p.kill();
  procs = [];
  await echo?.stop();
  await chat?.stop();
  echo = undefined;
  chat = undefined;
});

function track<T extends ProcessClient>(p: T): T {
  procs.push(p);
  return p;
}

describe.skipIf(!nc)("echo with nc", () => {
  test("nc -N: lines come back, the last one without newline too, then nc exits", async () => {
    echo = await startEchoServer({ port: 0 });
    const client = track(ncClient(echo.port, ["-N"]));
    client.write("hello\nwörld\nno newline");
    client.endInput();
    await client.waitForEnd();
    expect(client.lines).toEqual(["hello", "wörld", "no newline"]);
    expect(await client.exited).toBe(0);
  });

  test("--upper, interactively: each line capitalized as it is typed", async () => {
    echo = await startEchoServer({ port: 0, upper: true });
    const client = track(ncClient(echo.port));
    client.send("straße");
    expect(await client.next()).toBe("STRASSE");
    client.send("hi there");
    expect(await client.next()).toBe("HI THERE");
  });
});

describe.skipIf(!socat)("echo with socat", () => {
  test("socat: lines and a half-close", async () => {
    echo = await startEchoServer({ port: 0, upper: true });
    const client = track(socatClient(echo.port));
    client.write("a\r\nb\n");
    client.endInput();
    await client.waitForEnd();
    expect(client.lines).toEqual(["A", "B"]);
  });
});

describe.skipIf(!nc || !socat)("chat with nc and socat", () => {
  test("nc and socat clients name themselves, talk, use commands and quit", async () => {
    chat = await startChatServer({ port: 0 });
    const ann = track(ncClient(chat.port));
    expect(await ann.next()).toBe("* Welcome to netkit chat! What is your name?");
    ann.send("");
    expect(await ann.next()).toBe("* What is your name?");
    ann.send("ann");
    expect(await ann.next()).toMatch(/^\* Welcome, ann!/);

    const bob = track(socatClient(chat.port));
    await bob.next();
    bob.send("ANN");
    expect(await bob.next()).toBe('error NAME_TAKEN: the name "ANN" is already in use');
    await bob.next();
    bob.send("bob");
    expect(await bob.next()).toMatch(/^\* Welcome, bob! 1 other person is here/);
    expect(await ann.next()).toBe("* bob joined");

    const lib = await LineClient.join(chat.port, "lib");
    await ann.waitFor("* lib joined");
    await bob.waitFor("* lib joined");

    ann.send("hello from nc");
    expect(await bob.next()).toBe("ann: hello from nc");
    expect(await lib.next()).toBe("ann: hello from nc");
    bob.write("crlf from socat\r\n");
    expect(await ann.next()).toBe("bob: crlf from socat");
    expect(await lib.next()).toBe("bob: crlf from socat");

    ann.send("/who");
    expect(await ann.next()).toBe("* 3 here: ann, bob, lib");
    ann.send("/msg bob psst");
    expect(await bob.next()).toBe("[private] ann: psst");
    expect(await ann.next()).toBe("[private to bob] psst");
    bob.send("/me nods");
    expect(await ann.next()).toBe("* bob nods");
    expect(await lib.next()).toBe("* bob nods");
    bob.send("/nick bobby");
    expect(await ann.next()).toBe("* bob is now known as bobby");
    expect(await bob.next()).toBe("* bob is now known as bobby");
    await lib.next();
    ann.send("/nope");
    expect(await ann.next()).toMatch(/^error UNKNOWN_COMMAND: \/nope/);
    ann.send("/help");
    expect(await ann.next()).toBe("* Commands:");

    bob.send("/quit");
    expect(await bob.next()).toBe("* Bye!");
    await bob.waitForEnd();
    expect(await lib.next()).toBe("* bobby left");
    await ann.waitFor("* bobby left");
    // No echo: ann never saw her own message.
    expect(ann.lines).not.toContain("ann: hello from nc");
    lib.close();
  });

  test("nc -N (half-close after the input): every reply arrives before the close; half a line is dropped", async () => {
    chat = await startChatServer({ port: 0 });
    const lib = await LineClient.join(chat.port, "lib");
    const client = track(ncClient(chat.port, ["-N"]));
    client.write("zed\n/who\n/nick\nbye all\nhalf a line");
    client.endInput();
    await client.waitForEnd();
    expect(client.lines[0]).toBe("* Welcome to netkit chat! What is your name?");
    expect(client.lines[1]).toMatch(/^\* Welcome, zed!/);
    expect(client.lines.slice(2)).toEqual([
      "* 2 here: lib, zed",
      "error BAD_COMMAND: usage: /nick <new name>",
    ]);
    expect(lib.lines.some((l) => l.includes("half a line"))).toBe(false);
    expect(await lib.waitFor(/^zed: /)).toBe("zed: bye all");
    expect(await lib.next()).toBe("* zed left");
    lib.close();
  });

  test("a newcomer over nc gets the history", async () => {
    chat = await startChatServer({ port: 0 });
    const lib = await LineClient.join(chat.port, "lib");
    lib.send("first");
    lib.send("second");
    lib.send("/who");
    await lib.waitFor(/^\* 1 here/);
    const late = track(ncClient(chat.port));
    await late.next();
    late.send("late");
    await late.next();
    expect(await late.next()).toBe("* The last 2 messages:");
    expect(await late.next()).toMatch(/^\[history \S+\] lib: first$/);
    expect(await late.next()).toMatch(/^\[history \S+\] lib: second$/);
    lib.close();
  });

  test("an nc client whose output nobody reads is disconnected; the others keep receiving", async () => {
    chat = await startChatServer({ port: 0, floodBurst: 0, maxQueuedBytes: 128 * 1024 });
    // nc's stdout is a FIFO that nobody reads: once its 64 KiB fill, nc blocks and stops
    // reading its socket. (A Bun "pipe" would not do: Bun drains it into memory.)
    const dir = mkdtempSync(join(tmpdir(), "chat-stuck-"));
    const fifo = join(dir, "out");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const fd = openSync(fifo, "r+"); // read+write: opening does not wait for a reader
    const stuck = Bun.spawn([nc as string, "127.0.0.1", String(chat.port)], {
      stdin: "pipe",
      stdout: fd,
      stderr: "ignore",
    });
    try {
      stuck.stdin.write("stuck\n");
      stuck.stdin.flush();
      const ann = await LineClient.join(chat.port, "ann");
      const reader = track(ncClient(chat.port));
      await reader.next();
      reader.send("reader");
      await ann.waitFor("* reader joined");
      const text = "q".repeat(1000);
      const total = 8000;
      // Batches well under the queue limit: one event-loop turn's output counts against it.
      for (let sent = 0; sent < total; sent += 50) {
        for (let i = 0; i < 50; i++) ann.send(`${sent + i} ${text}`);
        await reader.waitFor(new RegExp(`^ann: ${sent + 49} `), 10_000);
      }
      await ann.waitFor("* stuck left (disconnected: not reading its messages)", 10_000);
      const got = reader.lines.filter((l) => l.startsWith("ann: "));
      expect(got).toHaveLength(total);
      expect(chat.names()).toEqual(["ann", "reader"]);
      ann.close();
    } finally {
      stuck.kill();
      await stuck.exited;
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
