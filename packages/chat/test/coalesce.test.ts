import { expect, test } from "bun:test";
import { Coalescer } from "../src/coalesce.ts";

function sink(accept = true) {
  const got: string[] = [];
  return {
    got,
    sendBytes: (b: Uint8Array) => {
      got.push(new TextDecoder().decode(b));
      return accept;
    },
  };
}
const bytes = (s: string) => new TextEncoder().encode(s);

test("0 ms: every send goes straight through", () => {
  const c = new Coalescer(0);
  const s = sink();
  c.outbox(s).send(bytes("a"));
  expect(s.got).toEqual(["a"]);
});

test("held output is released together after the delay, in order per client", async () => {
  const c = new Coalescer(20);
  const [s1, s2] = [sink(), sink()];
  const [b1, b2] = [c.outbox(s1), c.outbox(s2)];
  b1.send(bytes("1a"));
  b2.send(bytes("2a"));
  b1.send(bytes("1b"));
  expect(s1.got).toEqual([]);
  expect(b1.heldCount).toBe(2);
  await Bun.sleep(60);
  expect(s1.got).toEqual(["1a", "1b"]);
  expect(s2.got).toEqual(["2a"]);
  expect(b1.heldCount).toBe(0);
});

test("releaseAll sends at once; a refusing sink stops getting the rest", () => {
  const c = new Coalescer(1000);
  const ok = sink();
  const closed = sink(false);
  const [a, b] = [c.outbox(ok), c.outbox(closed)];
  for (const x of ["x", "y"]) {
    a.send(bytes(x));
    b.send(bytes(x));
  }
  c.releaseAll();
  expect(ok.got).toEqual(["x", "y"]);
  expect(closed.got).toEqual(["x"]);
});

test("bad delay is a RangeError", () => {
  expect(() => new Coalescer(-1)).toThrow(RangeError);
  expect(() => new Coalescer(1.5)).toThrow(RangeError);
});
