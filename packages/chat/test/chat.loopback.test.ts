// The chat server on 127.0.0.1 with library clients (framing connect, raw Bun sockets).
import { afterEach, describe, expect, test } from "bun:test";
import { type ChatServer, type ChatServerOptions, startChatServer } from "../src/server.ts";
import { LineClient } from "./helpers.ts";

let server: ChatServer | undefined;
let clients: LineClient[] = [];

async function start(options: ChatServerOptions = {}): Promise<ChatServer> {
  server = await startChatServer({ port: 0, ...options });
  return server;
}

function srv(): ChatServer {
  if (!server) throw new Error("no server running");
  return server;
}

async function join(name: string): Promise<LineClient> {
  const client = await LineClient.join(srv().port, name);
  clients.push(client);
  return client;
}

async function open(): Promise<LineClient> {
  const client = await LineClient.open(srv().port);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await server?.stop();
  server = undefined;
});

describe("chat server over loopback", () => {
  test.each([[undefined], [0], [50]])(
    "join, broadcast without echo, leave (coalesceMs %p)",
    async (coalesceMs) => {
      await start({ coalesceMs });
      const ann = await join("ann");
      const bob = await join("bob");
      await ann.waitFor("* bob joined");
      const cy = await join("cy");
      await ann.waitFor("* cy joined");
      await bob.waitFor("* cy joined");
      ann.send("hello everyone");
      expect(await bob.next()).toBe("ann: hello everyone");
      expect(await cy.next()).toBe("ann: hello everyone");
      bob.send("hi ann");
      expect(await ann.next()).toBe("bob: hi ann"); // not "ann: hello everyone": no echo
      expect(await cy.next()).toBe("bob: hi ann");
      cy.close();
      expect(await ann.next()).toBe("* cy left");
      expect(await bob.next()).toBe("* cy left");
      expect(srv().names()).toEqual(["ann", "bob"]);
    },
  );

  test("naming: empty asks again, taken (any case) and invalid say why", async () => {
    await start();
    await join("Ann");
    const c = await open();
    expect(await c.next()).toBe("* Welcome to netkit chat! What is your name?");
    c.send("");
    expect(await c.next()).toBe("* What is your name?");
    c.send("aNN");
    expect(await c.next()).toBe('error NAME_TAKEN: the name "aNN" is already in use');
    expect(await c.next()).toBe("* What is your name?");
    c.send("x".repeat(33));
    expect(await c.next()).toMatch(/^error NAME_INVALID: the name has 33 characters/);
    await c.next();
    c.send("two words");
    expect(await c.next()).toMatch(/^error NAME_INVALID: name contains U\+0020 SPACE/);
    await c.next();
    c.send("bob\r"); // CRLF from telnet-like clients
    expect(await c.next()).toMatch(/^\* Welcome, bob! 1 other person is here/);
  });

  test("a name is taken atomically: of two simultaneous claims exactly one wins", async () => {
    await start();
    const a = await open();
    const b = await open();
    await a.next();
    await b.next();
    a.send("same");
    b.send("SAME");
    const [ra, rb] = [await a.next(), await b.next()];
    const wins = [ra, rb].filter((l) => l.startsWith("* Welcome"));
    const taken = [ra, rb].filter((l) => l.startsWith("error NAME_TAKEN"));
    expect(wins).toHaveLength(1);
    expect(taken).toHaveLength(1);
    expect(srv().names()).toHaveLength(1);
  });

  test("every command", async () => {
    await start();
    const ann = await join("ann");
    const bob = await join("bob");
    const cy = await join("cy");
    await ann.waitFor("* cy joined");
    await bob.waitFor("* cy joined");

    ann.send("/who");
    expect(await ann.next()).toBe("* 3 here: ann, bob, cy");

    ann.send("/msg bob just for you");
    expect(await bob.next()).toBe("[private] ann: just for you");
    expect(await ann.next()).toBe("[private to bob] just for you");
    ann.send("/msg nobody hi");
    expect(await ann.next()).toBe('error NO_SUCH_USER: no one called "nobody" is here');

    bob.send("/nick robert");
    for (const c of [ann, bob, cy]) expect(await c.next()).toBe("* bob is now known as robert");

    cy.send("/me waves");
    expect(await ann.next()).toBe("* cy waves");
    expect(await bob.next()).toBe("* cy waves");

    cy.send("/help");
    expect(await cy.next()).toBe("* Commands:");
    await cy.waitFor(/^\* Any other line/);

    cy.send("/frobnicate");
    expect(await cy.next()).toBe(
      "error UNKNOWN_COMMAND: /frobnicate is not a command (/help lists them)",
    );

    cy.send("/quit see you");
    expect(await cy.next()).toBe("* Bye!");
    await cy.waitForEnd();
    expect(await ann.next()).toBe("* cy left (quit: see you)");
    expect(await bob.next()).toBe("* cy left (quit: see you)");
    // Nothing private or erroneous leaked to ann and bob along the way.
    expect(ann.unread()).toEqual([]);
    expect(bob.unread()).toEqual([]);
  });

  test("history: the newest N messages are replayed to a newcomer after the welcome", async () => {
    await start({ historySize: 5, floodBurst: 0 });
    const ann = await join("ann");
    for (let i = 1; i <= 8; i++) ann.send(`message ${i}`);
    ann.send("/who"); // wait until the server has handled them all
    await ann.waitFor(/^\* 1 here/);
    const bob = await LineClient.open(srv().port);
    clients.push(bob);
    await bob.next();
    bob.send("bob");
    expect(await bob.next()).toMatch(/^\* Welcome, bob!/);
    expect(await bob.next()).toBe("* The last 5 messages:");
    for (let i = 4; i <= 8; i++) {
      expect(await bob.next()).toMatch(
        new RegExp(`^\\[history \\d\\d:\\d\\d:\\d\\d\\] ann: message ${i}$`),
      );
    }
  });

  test("a line over the limit: an error line, the line dropped, the connection kept", async () => {
    await start({ maxLineBytes: 100 });
    const ann = await join("ann");
    const bob = await join("bob");
    await ann.waitFor("* bob joined");
    ann.send("x".repeat(101));
    expect(await ann.next()).toBe(
      "error LINE_TOO_LONG: lines are limited to 100 bytes; it was dropped",
    );
    ann.send("y".repeat(100));
    expect(await bob.next()).toBe(`ann: ${"y".repeat(100)}`);
  });

  test("flooding: a burst goes through, the excess is refused with a notice", async () => {
    await start();
    const ann = await join("ann");
    const bob = await join("bob");
    await ann.waitFor("* bob joined");
    for (let i = 1; i <= 20; i++) ann.send(`line ${i}`);
    await ann.waitFor(/^error FLOOD: /);
    ann.send("/who"); // queued behind the flood; refused too, but marks the end
    await Bun.sleep(300);
    const delivered = bob.unread().filter((l) => l.startsWith("ann: line"));
    const refused = ann.lines.filter((l) => l.startsWith("error FLOOD"));
    // The name line used one token of the burst of 10; a refill of ~1 token may have happened.
    expect(delivered.length).toBeGreaterThanOrEqual(9);
    expect(delivered.length).toBeLessThanOrEqual(11);
    expect(delivered.length + refused.length).toBe(21);
    expect(delivered[0]).toBe("ann: line 1");
  });

  test("a client that stops reading is disconnected; the others keep receiving everything", async () => {
    await start({ floodBurst: 0, maxQueuedBytes: 256 * 1024 });
    const ann = await join("ann");
    const bob = await join("bob");
    // A raw socket that joins, then stops reading (pause) while staying connected.
    let greeted!: () => void;
    const greeting = new Promise<void>((r) => (greeted = r));
    const slow = await Bun.connect({
      hostname: "127.0.0.1",
      port: srv().port,
      socket: {
        data: () => greeted(),
      },
    });
    await greeting;
    slow.write("slow\n");
    await ann.waitFor("* slow joined");
    await bob.waitFor("* slow joined");
    slow.pause();

    const text = "z".repeat(1000);
    const total = 6000; // ~6 MB: more than the kernel buffers plus the 256 KiB queue
    const batch = 200;
    for (let sent = 0; sent < total; sent += batch) {
      for (let i = 0; i < batch; i++) ann.send(`${sent + i} ${text}`);
      await bob.waitFor(new RegExp(`^ann: ${sent + batch - 1} `), 10_000);
    }
    await ann.waitFor("* slow left (disconnected: not reading its messages)", 10_000);
    const got = bob.lines.filter((l) => l.startsWith("ann: "));
    expect(got).toHaveLength(total);
    expect(got.every((l, i) => l.startsWith(`ann: ${i} `))).toBe(true);
    expect(bob.lines).toContain("* slow left (disconnected: not reading its messages)");
    expect(srv().names()).toEqual(["ann", "bob"]);
    slow.end();
  }, 60_000);

  test("per-address connection cap", async () => {
    await start({ maxConnectionsPerAddress: 3 });
    for (let i = 0; i < 3; i++) await join(`p${i}`);
    const fourth = await open();
    expect(await fourth.next()).toBe(
      "error TOO_MANY_CONNECTIONS: at most 3 connections from 127.0.0.1 are allowed",
    );
    await fourth.waitForEnd();
    clients[0]!.close();
    await clients[1]!.waitFor("* p0 left");
    await join("p3"); // a slot is free again
  });

  test("idle timeout: the reason, then the close; the others are told", async () => {
    await start({ idleTimeoutMs: 500 });
    const ann = await join("ann");
    const bob = await join("bob");
    await ann.waitFor("* bob joined");
    const keepAlive = setInterval(() => ann.send("/who"), 100);
    try {
      expect(await bob.waitFor(/^error IDLE_TIMEOUT/, 3000)).toBe(
        "error IDLE_TIMEOUT: nothing received for 500 ms; goodbye",
      );
      await bob.waitForEnd();
      await ann.waitFor("* bob left (idle)");
    } finally {
      clearInterval(keepAlive);
    }
  });

  test("stop tells every client and closes them", async () => {
    await start();
    const ann = await join("ann");
    const pending = await open();
    await srv().stop();
    server = undefined;
    expect(await ann.waitFor(/^error SERVER_STOPPING/)).toBe(
      "error SERVER_STOPPING: the server is shutting down",
    );
    await ann.waitForEnd();
    await pending.waitForEnd();
  });

  test("bad options fail at construction", async () => {
    await expect(startChatServer({ port: 0, maxLineBytes: 0 })).rejects.toThrow(RangeError);
    await expect(startChatServer({ port: 0, floodBurst: -1 })).rejects.toThrow(RangeError);
  });
});

describe.each([
  ["coalesced (default)", undefined],
  ["one write per turn", 0],
])("500 clients, output %s", (_, coalesceMs) => {
  test("every message reaches every other client exactly once", async () => {
    const n = 500;
    await start({ maxConnectionsPerAddress: 1000, floodBurst: 0, historySize: 0, coalesceMs });
    const all: LineClient[] = [];
    for (let i = 0; i < n; i++) {
      const c = await LineClient.open(srv().port);
      all.push(c);
      clients.push(c);
    }
    await Promise.all(all.map((c) => c.next()));
    for (const [i, c] of all.entries()) c.send(`u${i}`);
    await Promise.all(all.map((c) => c.waitFor(/^\* Welcome/, 20_000)));
    expect(srv().names()).toHaveLength(n);
    const perClient = 2;
    for (let round = 0; round < perClient; round++) {
      for (const [i, c] of all.entries()) c.send(`r${round} from u${i}`);
    }
    const expected = (n - 1) * perClient;
    const deadline = performance.now() + 60_000;
    const count = (c: LineClient) => c.lines.filter((l) => / r\d from u\d+$/.test(l)).length;
    while (performance.now() < deadline && !all.every((c) => count(c) >= expected)) {
      await Bun.sleep(50);
    }
    await Bun.sleep(200); // anything extra would arrive now
    all.forEach((c, i) => {
      const got = c.lines.filter((l) => / r\d from u\d+$/.test(l));
      expect(got).toHaveLength(expected);
      expect(new Set(got).size).toBe(expected); // no duplicates
      expect(got.some((l) => l.endsWith(` from u${i}`))).toBe(false); // no echo
    });
    const total = all.reduce((sum, c) => sum + count(c), 0);
    expect(total).toBe(n * (n - 1) * perClient);
  }, 120_000);
});
