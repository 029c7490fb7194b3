// WebSocketRoom: frames published once, held per peer and written together (one write per peer per
// release), order kept against the session's own sends, members leaving on close. Sessions here run
// over a recording connection, so every write is seen; the loopback file has real clients.
import { expect, test } from "bun:test";
import { FrameOpcode } from "../src/constants.ts";
import { encodeFrame } from "../src/frame-encoder.ts";
import { WebSocketRoom } from "../src/room.ts";
import { type ByteConnection, WebSocketSession } from "../src/session.ts";
import { parseFrames } from "./raw-client.ts";

/** A connection that records each write: "now" for sendBytesNow, "queued" for sendBytes. */
class RecordingConnection implements ByteConnection {
  writes: { how: "now" | "queued"; bytes: Uint8Array; given: Uint8Array }[] = [];
  isClosed = false;
  readonly queuedBytes = 0;
  #resolve!: (result: { error?: Error }) => void;
  readonly closed = new Promise<{ error?: Error }>((resolve) => {
    this.#resolve = resolve;
  });
  sendBytes(bytes: Uint8Array): boolean {
    this.writes.push({ how: "queued", bytes: bytes.slice(), given: bytes });
    return true;
  }
  sendBytesNow(bytes: Uint8Array): boolean {
    this.writes.push({ how: "now", bytes: bytes.slice(), given: bytes });
    return true;
  }
  close(): void {
    this.destroy();
  }
  destroy(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.#resolve({});
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
  reportPartialInput(): void {}
  setIdleTimeout(): void {}
  hold(): void {}
  proceed(): void {}
  /** The text of every frame written, in order. */
  texts(): string[] {
    return this.writes.flatMap((w) =>
      parseFrames(w.bytes).map((f) => new TextDecoder().decode(f.payload)),
    );
  }
}

function peer(): { connection: RecordingConnection; session: WebSocketSession } {
  const connection = new RecordingConnection();
  const session = new WebSocketSession(connection, { role: "server", pingIntervalMs: 0 });
  return { connection, session };
}

/** A clock the test moves. */
function clock() {
  const state = { now: 1000 };
  return { state, nowMs: () => state.now };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

test("a quiet room writes each publish at the end of its turn, one write per peer", async () => {
  const { state, nowMs } = clock();
  const room = new WebSocketRoom({ coalesceMs: 12, nowMs });
  const peers = Array.from({ length: 5 }, peer);
  for (const p of peers) room.add(p.session);
  expect(room.size).toBe(5);
  expect(room.publish("one")).toBe(5);
  expect(room.publish("two")).toBe(5); // same turn: shares the write
  for (const p of peers) expect(p.connection.writes).toHaveLength(0);
  await turn();
  for (const p of peers) {
    expect(p.connection.writes.map((w) => w.how)).toEqual(["now"]);
    expect(p.connection.texts()).toEqual(["one", "two"]);
  }
  state.now += 50; // quiet since: the next publish goes out at once again
  room.publish(Uint8Array.of(1, 2));
  await turn();
  for (const p of peers) {
    expect(p.connection.writes).toHaveLength(2);
    const frame = parseFrames(p.connection.writes[1]!.bytes)[0]!;
    expect(frame.opcode).toBe(FrameOpcode.BINARY);
    expect(frame.payload).toEqual(Uint8Array.of(1, 2));
  }
});

test("a busy room releases one group per turn: each peer gets one write per three messages", async () => {
  const { state, nowMs } = clock();
  const room = new WebSocketRoom({ coalesceMs: 12, nowMs });
  const peers = Array.from({ length: 9 }, peer);
  for (const p of peers) room.add(p.session);
  // The first turn after quiet releases everyone; then a message every 3 ms.
  for (let i = 0; i < 10; i++) {
    room.publish(`m${i}`);
    await turn();
    state.now += 3;
  }
  room.flush();
  let writes = 0;
  for (const p of peers) {
    expect(p.connection.texts()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    writes += p.connection.writes.length;
    // Never more than three messages in one write, and all of them straight (sendBytesNow).
    for (const w of p.connection.writes) {
      expect(w.how).toBe("now");
      expect(parseFrames(w.bytes).length).toBeLessThanOrEqual(3);
    }
  }
  // 9 for the first message, then about one write per peer per three messages.
  expect(writes).toBeLessThanOrEqual(9 + Math.ceil((9 * 9) / 3) + 9);
  expect(writes).toBeLessThan(9 * 10);
});

test("peers holding the same frames share one joined chunk", async () => {
  const { state, nowMs } = clock();
  const room = new WebSocketRoom({ coalesceMs: 12, nowMs });
  // Dealt into three groups: peers i and i + 3 are in the same one.
  const peers = Array.from({ length: 6 }, peer);
  for (const p of peers) room.add(p.session);
  room.publish("a");
  await turn(); // released at once (quiet)
  state.now += 3;
  room.publish("b");
  await turn(); // one group released
  state.now += 3;
  room.publish("c");
  await turn(); // another
  room.flush(); // the third, holding b and c
  for (const p of peers) expect(p.connection.texts()).toEqual(["a", "b", "c"]);
  for (let i = 0; i < 3; i++) {
    const mine = peers[i]!.connection.writes.map((w) => w.given);
    const neighbour = peers[i + 3]!.connection.writes.map((w) => w.given);
    expect(mine).toHaveLength(neighbour.length);
    for (let k = 0; k < mine.length; k++) expect(mine[k]).toBe(neighbour[k]!); // the same bytes
  }
  const joined = peers.flatMap((p) => p.connection.writes).filter((w) => w.bytes.length > 5);
  // Two groups got b + c (released apart), each joined once for both its peers.
  expect(joined).toHaveLength(4);
  expect(new Set(joined.map((w) => w.given)).size).toBe(2);
});

test("the session's own sends write what the room holds first: order holds", async () => {
  const { nowMs } = clock();
  const room = new WebSocketRoom({ coalesceMs: 12, nowMs });
  const { connection, session } = peer();
  room.add(session);
  room.publish("from the room");
  expect(session.queuedBytes).toBeGreaterThan(0); // held counts as queued
  session.send("direct");
  room.publish("room again");
  session.ping("p");
  await turn();
  expect(connection.writes.map((w) => w.how)).toEqual(["now", "queued", "now", "queued"]);
  const frames = connection.writes.flatMap((w) => parseFrames(w.bytes));
  expect(frames.map((f) => f.opcode)).toEqual([
    FrameOpcode.TEXT,
    FrameOpcode.TEXT,
    FrameOpcode.TEXT,
    FrameOpcode.PING,
  ]);
  expect(connection.texts()).toEqual(["from the room", "direct", "room again", "p"]);
  // drained() waits for what the room holds too: it is written first.
  room.publish("held");
  await session.drained();
  expect(connection.texts().at(-1)).toBe("held");
  expect(session.queuedBytes).toBe(0);
});

test("close writes what is held before the close frame; a closed session leaves the room", async () => {
  const { nowMs } = clock();
  const room = new WebSocketRoom({ coalesceMs: 12, nowMs });
  const a = peer();
  const b = peer();
  room.add(a.session);
  room.add(b.session);
  room.publish("last words");
  a.session.close(1000);
  const frames = a.connection.writes.flatMap((w) => parseFrames(w.bytes));
  expect(frames.map((f) => f.opcode)).toEqual([FrameOpcode.TEXT, FrameOpcode.CLOSE]);
  expect(room.publish("after")).toBe(1); // a is closing: nothing more for it
  a.connection.destroy();
  await a.session.closed;
  await turn();
  expect(room.has(a.session)).toBe(false);
  expect(room.size).toBe(1);
  expect(b.connection.texts()).toEqual(["last words", "after"]);
  // A closed session is not taken; delete writes what is held for the one deleted.
  room.add(a.session);
  expect(room.size).toBe(1);
  room.publish("held");
  expect(room.delete(b.session)).toBe(true);
  expect(b.connection.texts()).toEqual(["last words", "after", "held"]);
  expect(room.delete(b.session)).toBe(false);
});

test("a session in two rooms gets both rooms' messages in publishing order", async () => {
  const { state, nowMs } = clock();
  const lobby = new WebSocketRoom({ coalesceMs: 12, nowMs });
  const news = new WebSocketRoom({ coalesceMs: 12, nowMs });
  const both = peer();
  const others = Array.from({ length: 5 }, peer);
  lobby.add(both.session);
  news.add(both.session);
  for (const p of others) lobby.add(p.session);
  const sent: string[] = [];
  for (let i = 0; i < 9; i++) {
    const room = i % 3 === 0 ? news : lobby;
    const text = `${room === news ? "news" : "lobby"} ${i}`;
    room.publish(text);
    sent.push(text);
    await turn();
    state.now += 3;
  }
  lobby.flush();
  news.flush();
  expect(both.connection.texts()).toEqual(sent);
  for (const p of others)
    expect(p.connection.texts()).toEqual(sent.filter((t) => t.startsWith("lobby")));
});

test("nothing is held longer than coalesceMs when publishing stops", async () => {
  const room = new WebSocketRoom({ coalesceMs: 20 });
  const peers = Array.from({ length: 6 }, peer);
  for (const p of peers) room.add(p.session);
  for (let i = 0; i < 4; i++) {
    room.publish(`m${i}`);
    await Bun.sleep(3);
  }
  await Bun.sleep(60);
  for (const p of peers) expect(p.connection.texts()).toEqual(["m0", "m1", "m2", "m3"]);
});

test("coalesceMs 0: every turn's publishes go out at its end", async () => {
  const room = new WebSocketRoom({ coalesceMs: 0 });
  const { connection, session } = peer();
  room.add(session);
  for (let i = 0; i < 3; i++) {
    room.publish(`m${i}`);
    await turn();
    expect(connection.writes).toHaveLength(i + 1);
  }
});

test("refuses frames a member cannot take as they are, client sessions and a bad coalesceMs", () => {
  const room = new WebSocketRoom();
  const text = new TextEncoder().encode("x");
  expect(() => room.publishFrame(encodeFrame(FrameOpcode.CLOSE, Uint8Array.of(3, 232)))).toThrow(
    RangeError,
  );
  expect(() =>
    room.publishFrame(encodeFrame(FrameOpcode.TEXT, text, { mask: Uint8Array.of(1, 2, 3, 4) })),
  ).toThrow(RangeError);
  expect(() => room.publishFrame(encodeFrame(FrameOpcode.TEXT, text, { rsv1: true }))).toThrow(
    RangeError,
  );
  expect(() => room.publishFrame(new Uint8Array(1))).toThrow(RangeError);
  expect(room.publishFrame(encodeFrame(FrameOpcode.TEXT, text))).toBe(0); // nobody in it
  const client = new WebSocketSession(new RecordingConnection(), {
    role: "client",
    pingIntervalMs: 0,
  });
  expect(() => room.add(client)).toThrow(TypeError);
  expect(() => new WebSocketRoom({ coalesceMs: -1 })).toThrow(RangeError);
  expect(() => new WebSocketRoom({ coalesceMs: 1.5 })).toThrow(RangeError);
});
