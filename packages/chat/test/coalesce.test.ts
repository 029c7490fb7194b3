import { expect, test } from "bun:test";
import { Coalescer } from "../src/coalesce.ts";

function sink(accept = true) {
  const got: string[] = [];
  const sendBytes = (b: Uint8Array) => {
    got.push(new TextDecoder().decode(b));
    return accept;
  };
  return { got, sendBytes, sendBytesNow: sendBytes };
}
const bytes = (s: string) => new TextEncoder().encode(s);

test("0 ms: every send goes straight through", () => {
  const c = new Coalescer(0);
  const s = sink();
  c.outbox(s).send(bytes("a"));
  expect(s.got).toEqual(["a"]);
});

/** A clock the test moves by hand. */
function clock() {
  let nowMs = 1000;
  return { nowMs: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}
/** Lets the coalescer's end-of-turn microtask run. */
const endOfTurn = () => Promise.resolve();

test("held output is released after the turn that produced it, in order per client", async () => {
  const c = new Coalescer(20);
  const [s1, s2] = [sink(), sink()];
  const [b1, b2] = [c.outbox(s1), c.outbox(s2)];
  b1.send(bytes("1a"));
  b2.send(bytes("2a"));
  b1.send(bytes("1b"));
  expect(s1.got).toEqual([]);
  expect(b1.heldCount).toBe(2);
  await Bun.sleep(60);
  // Several held messages leave in one piece: what matters is the bytes and their order.
  expect(s1.got.join("")).toBe("1a1b");
  expect(s2.got.join("")).toBe("2a");
  expect(b1.heldCount).toBe(0);
});

test("releaseAll sends at once, in order; a refusing sink is not tried again", () => {
  const c = new Coalescer(1000);
  const ok = sink();
  const closed = sink(false);
  const [a, b] = [c.outbox(ok), c.outbox(closed)];
  for (const x of ["x", "y"]) {
    a.send(bytes(x));
    b.send(bytes(x));
  }
  c.releaseAll();
  expect(ok.got.join("")).toBe("xy");
  expect(closed.got).toEqual(["xy"]);
  expect(b.heldCount).toBe(0);
});

test("a quiet coalescer releases everything at the end of the turn", async () => {
  const t = clock();
  const c = new Coalescer(20, { nowMs: t.nowMs });
  const sinks = [sink(), sink(), sink(), sink()];
  for (const s of sinks) c.outbox(s).send(bytes("hi"));
  expect(sinks.map((s) => s.got)).toEqual([[], [], [], []]);
  await endOfTurn();
  expect(sinks.map((s) => s.got)).toEqual([["hi"], ["hi"], ["hi"], ["hi"]]);
});

test("while busy, each turn releases the group that waited longest; close turns count once", async () => {
  const t = clock();
  const c = new Coalescer(20, { nowMs: t.nowMs });
  const sinks = [sink(), sink(), sink()]; // one per group
  const boxes = sinks.map((s) => c.outbox(s));
  const say = async (line: string) => {
    for (const box of boxes) box.send(bytes(line));
    await endOfTurn();
  };
  await say("1"); // quiet: everyone at once
  for (const line of ["2", "3", "4", "5"]) {
    t.advance(5);
    await say(line);
  }
  t.advance(1); // under 2 ms after the last release: held for a later turn
  await say("6");
  expect(sinks.map((s) => s.got)).toEqual([
    ["1", "2", "345"],
    ["1", "23"],
    ["1", "234"],
  ]);
  t.advance(4);
  await say("7");
  expect(sinks[1]!.got).toEqual(["1", "23", "4567"]);
  expect(boxes.map((b) => b.heldCount)).toEqual([2, 0, 3]); // 6 7 | - | 5 6 7
});

test("nothing waits longer than the delay once the room goes quiet", async () => {
  const t = clock();
  const c = new Coalescer(20, { nowMs: t.nowMs });
  const sinks = [sink(), sink(), sink()];
  const boxes = sinks.map((s) => c.outbox(s));
  for (const line of ["a", "b"]) {
    for (const box of boxes) box.send(bytes(line));
    await endOfTurn();
    t.advance(5);
  }
  expect(sinks.map((s) => s.got.join(""))).toEqual(["ab", "a", "a"]);
  t.advance(20);
  await Bun.sleep(60); // the timer (set for 20 ms) finds both groups' output 20+ ms old
  expect(sinks.map((s) => s.got.join(""))).toEqual(["ab", "ab", "ab"]);
});

test("clients holding the same messages are handed one shared chunk", async () => {
  const t = clock();
  const c = new Coalescer(20, { nowMs: t.nowMs });
  const seen: Uint8Array[] = [];
  const record = (b: Uint8Array) => {
    seen.push(b);
    return true;
  };
  const boxes = [0, 1, 2, 3, 4, 5].map(() => c.outbox({ sendBytes: record, sendBytesNow: record }));
  const [m1, m2] = [bytes("m1"), bytes("m2")];
  for (const box of boxes) box.send(m1);
  for (const box of boxes) box.send(m2);
  c.releaseAll();
  expect(seen).toHaveLength(6);
  expect(seen.map((b) => new TextDecoder().decode(b))).toEqual(Array(6).fill("m1m2"));
  expect(new Set(seen).size).toBe(3); // one chunk per group, not one per client
});

test("bad delay is a RangeError", () => {
  expect(() => new Coalescer(-1)).toThrow(RangeError);
  expect(() => new Coalescer(1.5)).toThrow(RangeError);
});
