// Durability: a server process stopped cleanly, and one killed with SIGKILL mid-traffic, loses
// nothing that a client saw acknowledged (a reply to a later command from the same connection).
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type ServerProcess, spawnServer } from "./fixtures/server-process.ts";
import { RawClient, tempDir } from "./helpers.ts";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function track(server: ServerProcess): ServerProcess {
  cleanup.push(() => server.proc.kill(9));
  return server;
}

describe("persistence", () => {
  test("posts, DMs and accounts survive a clean stop (SIGTERM) and restart", async () => {
    const dir = tempDir();
    cleanup.push(dir.remove);
    const db = join(dir.path, "data", "bbs.sqlite");
    const first = track(await spawnServer(db));
    const bob = await RawClient.session(first.port, "bob");
    bob.send("register", "bob's password");
    expect(await bob.next()).toBe("ok");
    const ann = await RawClient.session(first.port, "ann");
    for (let i = 0; i < 50; i++) ann.send(`post ${i}`);
    ann.send("dm", "bob", "kept secret");
    ann.send("quit");
    expect(await ann.waitClosed()).toBe(true);
    first.proc.kill("SIGTERM");
    expect(await first.proc.exited).toBe(0);

    const second = track(await spawnServer(db));
    const reader = await RawClient.session(second.port, "reader");
    reader.send("list");
    expect(await reader.listing()).toEqual(Array.from({ length: 50 }, (_, i) => `ann post ${i}`));
    const bob2 = await RawClient.session(second.port, "bob");
    bob2.send("listdm");
    expect(await bob2.next()).toBe("error: login required");
    bob2.send("login", "bob's password", "listdm");
    expect(await bob2.next()).toBe("ok");
    expect(await bob2.listing()).toEqual(["ann kept secret"]);
    reader.close();
    bob2.close();
    second.proc.kill("SIGTERM");
    expect(await second.proc.exited).toBe(0);
  }, 30_000);

  test("kill -9 mid-traffic loses no acknowledged post, and each writer's posts are a gapless prefix", async () => {
    const dir = tempDir();
    cleanup.push(dir.remove);
    const db = join(dir.path, "bbs.sqlite");
    const server = track(await spawnServer(db));
    const writers = 20;
    const acked = new Array<number>(writers).fill(-1);
    let stop = false;
    const loops = Array.from({ length: writers }, async (_, w) => {
      const c = await RawClient.session(server.port, `w${w}`);
      try {
        for (let i = 0; !stop; i++) {
          c.send(`w${w} #${i}`, "unread");
          await c.next(3000); // the reply to `unread`: post #i is stored
          acked[w] = i;
        }
      } catch {
        // the server was killed under us
      }
    });
    await Bun.sleep(600);
    server.proc.kill(9);
    expect(await server.proc.exited).not.toBe(0);
    stop = true;
    await Promise.all(loops);
    expect(acked.every((a) => a >= 0)).toBe(true);

    const again = track(await spawnServer(db));
    const reader = await RawClient.session(again.port, "reader");
    reader.send("list");
    const rows = await reader.listing(10_000);
    for (let w = 0; w < writers; w++) {
      const mine = rows.filter((r) => r.startsWith(`w${w} `)).map((r) => r.slice(`w${w} `.length));
      expect(mine.length).toBeGreaterThanOrEqual((acked[w] ?? 0) + 1);
      expect(mine).toEqual(Array.from({ length: mine.length }, (_, i) => `w${w} #${i}`));
    }
    reader.close();
    again.proc.kill("SIGTERM");
    expect(await again.proc.exited).toBe(0);
  }, 60_000);

  test("failed-login lockouts survive kill -9 and a restart on the same file", async () => {
    const dir = tempDir();
    cleanup.push(dir.remove);
    const db = join(dir.path, "bbs.sqlite");
    const first = track(await spawnServer(db));
    const names = ["bob", "cy", "dee", "eve", "ann"];
    for (const name of names) {
      const c = await RawClient.session(first.port, name);
      c.send("register", `${name}'s password`);
      expect(await c.next()).toBe("ok");
      c.close();
    }
    // 5 wrong guesses on each of 4 names: bob is locked, and so is this address (20 failures)
    for (const name of names.slice(0, 4)) {
      const c = await RawClient.session(first.port, name);
      for (let i = 0; i < 5; i++) {
        c.send("login", `guess ${i}`);
        expect(await c.next()).toBe("error: wrong password");
      }
      c.close();
    }
    first.proc.kill(9);
    await first.proc.exited;

    const second = track(await spawnServer(db));
    const throttled = /^error: too many failed logins, retry in \d+ s$/;
    for (const name of ["bob", "ann"]) {
      const c = await RawClient.session(second.port, name);
      c.send("login", `${name}'s password`);
      expect(await c.next()).toMatch(throttled);
      c.close();
    }
    second.proc.kill("SIGTERM");
    expect(await second.proc.exited).toBe(0);
  }, 30_000);
});
