// Response rate limiting on a real server (defaults: 200 UDP answers/s per /24, slip 2), flooded over loopback.
import { afterEach, expect, test } from "bun:test";
import { decodeMessage } from "../src/codec/message.ts";
import { RecordType } from "../src/constants.ts";
import { DNS_SERVER_DEFAULTS, type DnsServer, startDnsServer } from "../src/server/server.ts";
import { fixtureZones, query, tcpClient, udpExchange } from "./server-helpers.ts";

let server: DnsServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** A UDP client bound to `from` that counts full answers and TC replies by id. */
async function flooder(port: number, from: string) {
  const counts = { full: 0, truncated: 0, sent: 0 };
  const sock = await Bun.udpSocket({
    hostname: from,
    connect: { hostname: "127.0.0.1", port },
    binaryType: "uint8array",
    socket: {
      data(_s, buf) {
        const m = decodeMessage(buf);
        if (m.truncated && m.answers.length === 0) counts.truncated++;
        else if (!m.truncated && m.answers.length === 1) counts.full++;
        else throw new Error(`unexpected reply: tc=${m.truncated} answers=${m.answers.length}`);
      },
    },
  });
  const q = query("www.example.test.", RecordType.A, { ednsUdpPayloadSize: 0 });
  return {
    counts,
    /** `perTick` queries every 10 ms until `untilMs` (Date.now()). */
    async flood(untilMs: number, perTick = 10) {
      while (Date.now() < untilMs) {
        for (let i = 0; i < perTick; i++) {
          q[0] = counts.sent >> 8;
          q[1] = counts.sent & 0xff;
          sock.send(q);
          counts.sent++;
        }
        await Bun.sleep(10);
      }
    },
    close: () => sock.close(),
  };
}

/** Waits until 50 ms into the next wall-clock second, so a flood covers whole seconds of the server's. */
async function nextSecond(): Promise<number> {
  const start = (Math.floor(Date.now() / 1000) + 1) * 1000;
  await Bun.sleep(start + 50 - Date.now());
  return start;
}

test("the defaults are NSD's: 200 answers/s per /24, slip 2", () => {
  expect([DNS_SERVER_DEFAULTS.rrlPerSecond, DNS_SERVER_DEFAULTS.rrlSlip]).toEqual([200, 2]);
});

test("a flood from one /24: 200 answers a second, half the rest truncated, half dropped; another /24 is answered", async () => {
  server = await startDnsServer({ zones: fixtureZones(), port: 0 });
  const f = await flooder(server.port, "127.0.1.1");
  try {
    const start = await nextSecond();
    // Two whole seconds at ~1,000 queries/s, ending 50 ms before the third begins.
    const flooding = f.flood(start + 1950);
    // Meanwhile 40 queries from 127.0.2.5, another /24: every one answered in full.
    let otherFull = 0;
    for (let i = 0; i < 40; i++) {
      const r = await udpExchange(
        server.port,
        query("www.example.test.", RecordType.A, { ednsUdpPayloadSize: 0 }),
        1000,
        "127.0.2.5",
      );
      const m = decodeMessage(r as Uint8Array);
      if (!m.truncated && m.answers.length === 1) otherFull++;
      await Bun.sleep(20);
    }
    await flooding;
    await Bun.sleep(200); // the last replies
    const { full, truncated, sent } = f.counts;
    const excess = sent - full;
    console.log(
      `rrl flood: sent ${sent} in 2 s, ${full} answered, ${truncated} TC, ${excess - truncated} dropped`,
    );
    expect(sent).toBeGreaterThan(1200);
    // 200 a second for two seconds (a few may be lost on loopback, none can be extra).
    expect(full).toBeLessThanOrEqual(400);
    expect(full).toBeGreaterThanOrEqual(390);
    // Slip 2: every second answer over the rate is sent truncated, the other dropped.
    expect(Math.abs(truncated - excess / 2)).toBeLessThanOrEqual(10);
    expect(otherFull).toBe(40);
    const stats = server.stats();
    expect(stats.rateLimited).toBe(sent - 400);
    expect(stats.slipped).toBe(Math.floor((sent - 400) / 2));
  } finally {
    f.close();
  }
}, 10_000);

test("TCP is never limited, even from a flooded network", async () => {
  server = await startDnsServer({ zones: fixtureZones(), port: 0 });
  const f = await flooder(server.port, "127.0.0.1");
  const c = await tcpClient(server.port); // from 127.0.0.1 too
  try {
    await f.flood(Date.now() + 300, 100); // ~3,000 queries: the /24 is over its 200
    expect(server.stats().rateLimited).toBeGreaterThan(0);
    for (let i = 0; i < 500; i++) c.send(query("www.example.test.", RecordType.A, { id: i }));
    await c.waitFor(() => c.messages.length === 500, 5000);
    expect(c.messages.every((b) => decodeMessage(b).answers.length === 1)).toBe(true);
  } finally {
    f.close();
    c.socket.end();
  }
});

test("rrlPerSecond 0 (--rrl 0) turns it off: every query of a flood is answered", async () => {
  server = await startDnsServer({ zones: fixtureZones(), port: 0, rrlPerSecond: 0 });
  const f = await flooder(server.port, "127.0.1.1");
  try {
    await f.flood(Date.now() + 1000);
    await Bun.sleep(200);
    console.log(`rrl off: sent ${f.counts.sent}, ${f.counts.full} answered`);
    expect(f.counts.sent).toBeGreaterThan(600);
    expect(f.counts.full).toBe(f.counts.sent);
    expect([server.stats().rateLimited, f.counts.truncated]).toEqual([0, 0]);
  } finally {
    f.close();
  }
});
