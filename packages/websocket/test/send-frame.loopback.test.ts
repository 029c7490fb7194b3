// WebSocketSession.sendFrame: one frame encoded once, written as it is to many server sessions.
import { afterEach, expect, test } from "bun:test";
import { connectWebSocket } from "../src/client.ts";
import { FrameOpcode } from "../src/constants.ts";
import { encodeFrame } from "../src/frame-encoder.ts";
import type { WebSocketSession } from "../src/session.ts";
import { type EchoServer, startEchoServer } from "./echo-server.ts";

let server: EchoServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const utf8 = (text: string) => new TextEncoder().encode(text);

test("a frame encoded once reaches every session, plain and deflate alike", async () => {
  const fanOut = (_from: WebSocketSession, data: string | Uint8Array) => {
    const frame = encodeFrame(
      typeof data === "string" ? FrameOpcode.TEXT : FrameOpcode.BINARY,
      typeof data === "string" ? utf8(data) : data,
    );
    for (const session of server!.sessions) expect(session.sendFrame(frame)).toBe(true);
  };
  server = await startEchoServer({ onMessage: fanOut, upgrade: { deflate: {} } });
  const url = `ws://127.0.0.1:${server.port}/`;
  const clients = [
    await connectWebSocket(url),
    await connectWebSocket(url, { deflate: true }),
    await connectWebSocket(url),
  ];
  while (server.sessions.size < clients.length) await Bun.sleep(1);
  clients[0]!.send("hello ✓");
  clients[2]!.send(Uint8Array.of(0, 1, 255));
  for (const client of clients) {
    expect(await client.next()).toBe("hello ✓");
    expect(await client.next()).toEqual(Uint8Array.of(0, 1, 255));
  }
  for (const client of clients) client.close(1000);
  await Promise.all(clients.map((c) => c.closed));
});

test("refuses close, masked and (without deflate) compressed frames, and client sessions", async () => {
  server = await startEchoServer();
  const client = await connectWebSocket(`ws://127.0.0.1:${server.port}/`);
  while (server.sessions.size < 1) await Bun.sleep(1);
  const session = [...server.sessions][0]!;
  expect(() => session.sendFrame(encodeFrame(FrameOpcode.CLOSE, Uint8Array.of(3, 232)))).toThrow(
    RangeError,
  );
  const mask = Uint8Array.of(1, 2, 3, 4);
  expect(() => session.sendFrame(encodeFrame(FrameOpcode.TEXT, utf8("x"), { mask }))).toThrow(
    RangeError,
  );
  expect(() => session.sendFrame(encodeFrame(FrameOpcode.TEXT, utf8("x"), { rsv1: true }))).toThrow(
    RangeError,
  );
  expect(() => session.sendFrame(new Uint8Array(1))).toThrow(RangeError);
  expect(() => client.sendFrame(encodeFrame(FrameOpcode.TEXT, utf8("x")))).toThrow(TypeError);
  // Still open and usable after the refusals; false once closing.
  expect(session.sendFrame(encodeFrame(FrameOpcode.TEXT, utf8("still here")))).toBe(true);
  expect(await client.next()).toBe("still here");
  session.close(1000);
  expect(session.sendFrame(encodeFrame(FrameOpcode.TEXT, utf8("late")))).toBe(false);
  expect((await client.closed).code).toBe(1000);
});
