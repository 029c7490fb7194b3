// ReleaseSchedule and SharedJoin, with a clock moved by hand: which group leaves when.
import { expect, test } from "bun:test";
import { RELEASE_GROUPS, ReleaseSchedule, SharedJoin } from "../src/index.ts";

function setup(delayMs = 20) {
  let now = 1000;
  const released: number[] = [];
  const schedule = new ReleaseSchedule(
    delayMs,
    (group) => released.push(group),
    () => now,
  );
  return { schedule, released, advance: (ms: number) => (now += ms) };
}
/** Lets the end-of-turn microtask run. */
const endOfTurn = () => Promise.resolve();

test("a turn after a quiet spell releases every group holding something", async () => {
  const { schedule, released } = setup();
  schedule.held(0);
  schedule.held(2);
  expect(released).toEqual([]); // nothing leaves inside the turn
  await endOfTurn();
  expect(released).toEqual([0, 2]);
});

test("busy turns release one group each, the one that waited longest", async () => {
  const { schedule, released, advance } = setup();
  for (let g = 0; g < RELEASE_GROUPS; g++) schedule.held(g);
  await endOfTurn(); // the first turn: quiet before it, so all leave
  released.length = 0;
  const order: number[] = [];
  for (let turn = 0; turn < 6; turn++) {
    advance(3); // a message every 3 ms: busy
    for (let g = 0; g < RELEASE_GROUPS; g++) schedule.held(g);
    await endOfTurn();
    order.push(...released.splice(0));
  }
  expect(order).toEqual([0, 1, 2, 0, 1, 2]); // one group per turn, round robin by age
});

test("turns closer than 2 ms count as one: nothing more is released", async () => {
  const { schedule, released, advance } = setup();
  schedule.held(0);
  await endOfTurn();
  released.length = 0;
  advance(1);
  schedule.held(1);
  await endOfTurn();
  expect(released).toEqual([]);
});

test("nothing waits longer than delayMs: the timer releases it", async () => {
  const { schedule, released, advance } = setup(5);
  schedule.held(0);
  await endOfTurn();
  released.length = 0;
  advance(3);
  schedule.held(1);
  await endOfTurn(); // busy: only the oldest group (1, the only one holding) leaves
  expect(released).toEqual([1]);
  advance(3);
  schedule.held(2);
  await endOfTurn();
  expect(released).toEqual([1, 2]);
  advance(1);
  schedule.held(0); // held at "now"; the timer is real, the clock is the test's
  await endOfTurn();
  advance(10);
  await Bun.sleep(20);
  expect(released).toEqual([1, 2, 0]);
});

test("releaseAll releases what is held, once", () => {
  const { schedule, released } = setup();
  schedule.held(1);
  schedule.releaseAll();
  schedule.releaseAll();
  expect(released).toEqual([1]);
});

test("SharedJoin joins once for peers holding the very same parts", () => {
  const a = new Uint8Array([1, 2]);
  const b = new Uint8Array([3]);
  const joiner = new SharedJoin();
  const first = joiner.join([a, b]);
  expect([...first]).toEqual([1, 2, 3]);
  expect(joiner.join([a, b])).toBe(first); // the same bytes, no second join
  expect(joiner.join([a])).toBe(a); // one part: as it is
  const other = joiner.join([b, a]);
  expect([...other]).toEqual([3, 1, 2]);
  expect(other).not.toBe(first);
});
