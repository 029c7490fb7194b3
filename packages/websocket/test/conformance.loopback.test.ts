// The conformance suite: every case of cases.ts against the echo server over loopback, raw bytes
// in, exact frames and close code out, and the TCP connection closed by the server afterwards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  type Case,
  closing,
  fragmentation,
  framing,
  LIMITS,
  limits,
  opcodes,
  pingPong,
  reservedBits,
  utf8,
} from "./cases.ts";
import { type EchoServer, startEchoServer } from "./echo-server.ts";
import { openRaw } from "./raw-client.ts";

let server: EchoServer;
let limited: EchoServer;
beforeAll(async () => {
  server = await startEchoServer();
  limited = await startEchoServer({ session: LIMITS });
});
afterAll(async () => {
  await server.stop();
  await limited.stop();
});

async function run(c: Case, port: number): Promise<void> {
  const raw = await openRaw(port);
  const bytes = new Uint8Array(c.send.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of c.send) {
    bytes.set(part, at);
    at += part.length;
  }
  if (c.chunk === undefined) raw.send(bytes);
  else {
    for (let i = 0; i < bytes.length; i += c.chunk) {
      raw.send(bytes.subarray(i, i + c.chunk));
      await Bun.sleep(0);
    }
  }
  const result = await raw.result(3000);
  raw.end();
  const data = result.frames.filter((f) => f.opcode !== 0x8);
  expect({
    frames: data.map((f) => ({
      opcode: f.opcode,
      size: f.payload.length,
      masked: f.masked,
      fin: f.fin,
      rsv: f.rsv,
    })),
    close: result.closeCode,
    closed: result.closed,
  }).toEqual({
    frames: c.expect.map((e) => ({
      opcode: e.opcode,
      size: e.payload.length,
      masked: false,
      fin: true,
      rsv: 0,
    })),
    close: c.close,
    closed: true,
  });
  for (const [i, e] of c.expect.entries()) expect(data[i]?.payload).toEqual(e.payload);
}

const sections: [string, Case[], () => EchoServer][] = [
  ["1 framing", framing, () => server],
  ["2 ping/pong", pingPong, () => server],
  ["3 reserved bits", reservedBits, () => server],
  ["4 opcodes", opcodes, () => server],
  ["5 fragmentation", fragmentation, () => server],
  ["6 UTF-8 handling", utf8, () => server],
  ["7 close handling", closing, () => server],
  ["9 limits", limits, () => limited],
];

for (const [name, cases, which] of sections) {
  describe(name, () => {
    test.each(cases.map((c) => [`${c.id} ${c.title}`, c] as const))("%s", async (_, c) => {
      await run(c, which().port);
    });
  });
}
