// Property test: random frame sequences never throw, and only valid data reaches storage.
import { expect, test } from "bun:test";
import { prng } from "@netkit/testkit";
import { BbsStore, Board } from "../src/index.ts";
import { COMMANDS, Session } from "../src/session.ts";
import { textProblem, usernameProblem } from "../src/validate.ts";
import { FAST_ARGON2 } from "./helpers.ts";

const utf8 = new TextEncoder();

function randomFrame(rand: () => number): Uint8Array {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)] as T;
  switch (Math.floor(rand() * 8)) {
    case 0:
    case 1:
      return utf8.encode(pick(COMMANDS));
    case 2:
      return utf8.encode(pick(["ann", "bob", "a b", "", "x".repeat(33), "é", "0", "12", "-1"]));
    case 3: {
      const bytes = new Uint8Array(Math.floor(rand() * 40));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
      return bytes;
    }
    case 4:
      return utf8.encode("y".repeat(4090 + Math.floor(rand() * 12)));
    case 5:
      return utf8.encode(`text\u0000${rand()}`);
    default:
      return utf8.encode(`post ${Math.floor(rand() * 1000)}\twith tab`);
  }
}

test.each([1, 2, 3, 4, 5])("random frame sequences, seed %d", async (seed) => {
  const rand = prng(seed);
  const store = new BbsStore({ path: ":memory:" });
  const board = new Board(store, FAST_ARGON2);
  try {
    const sessions = Array.from({ length: 4 }, () => new Session(board, `10.0.0.${seed}`));
    for (let i = 0; i < 400; i++) {
      const s = sessions[Math.floor(rand() * sessions.length)] as Session;
      const reply = await s.handle(randomFrame(rand));
      for (const f of reply.frames) expect(typeof f).toBe("string");
      if (reply.listing)
        for (const page of reply.listing.pages as Iterable<string[]>)
          expect(Array.isArray(page)).toBe(true);
      if (s.isClosed) sessions[sessions.indexOf(s)] = new Session(board, `10.0.0.${seed}`);
    }
    expect(store.lastPostId()).toBeGreaterThan(0); // the property is exercised
    for (const p of store.posts(0, store.lastPostId(), 10_000)) {
      expect(usernameProblem(p.author)).toBeNull();
      expect(textProblem(p.body)).toBeNull();
    }
    for (const name of ["ann", "bob", "é", "0", "12", "-1", "dm", "list", "quit"]) {
      for (const m of store.dms(name)) {
        expect(usernameProblem(m.sender)).toBeNull();
        expect(textProblem(m.body)).toBeNull();
      }
    }
  } catch (error) {
    console.error(`session fuzz failed with seed ${seed}`);
    throw error;
  } finally {
    await store.close();
  }
});
