import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decodeMessage } from "../src/codec/message.ts";
import { Rcode, RecordType } from "../src/constants.ts";
import { type DnsServer, startDnsServer } from "../src/server/server.ts";
import { parseZone } from "../src/zone/load.ts";
import { fixtureZones, prng, query, tcpClient, udpExchange, udpQuery } from "./server-helpers.ts";

let server: DnsServer;
beforeAll(async () => {
  server = await startDnsServer({ zones: fixtureZones(), port: 0 });
});
afterAll(async () => {
  await server.stop();
});

describe("UDP", () => {
  test("answers with AA, RA clear, the id and the question's letter case echoed", async () => {
    const bytes = query("WwW.Example.TEST.", RecordType.A, { id: 4242 });
    const reply = await udpExchange(server.port, bytes);
    const m = decodeMessage(reply as Uint8Array);
    expect([m.id, m.isResponse, m.authoritative, m.recursionAvailable, m.rcode]).toEqual([
      4242,
      true,
      true,
      false,
      0,
    ]);
    expect(m.questions[0]?.name).toBe("WwW.Example.TEST.");
    expect(m.answers.map((r) => r.data)).toEqual([{ address: "192.0.2.3" }]);
    expect(m.edns?.udpPayloadSize).toBe(1232);
    const withDo = await udpQuery(server.port, "www.example.test.", RecordType.A, {
      dnssecOk: true,
    });
    expect(withDo.edns?.dnssecOk).toBe(true);
  });

  test("RD is copied, never acted on", async () => {
    const m = await udpQuery(server.port, "www.example.test.", RecordType.A, {
      recursionDesired: true,
    });
    expect([m.recursionDesired, m.recursionAvailable]).toEqual([true, false]);
  });

  test("without EDNS an answer over 512 bytes comes back empty with TC", async () => {
    const m = await udpQuery(server.port, "big.example.test.", RecordType.TXT, {
      ednsUdpPayloadSize: 0,
    });
    expect([m.truncated, m.answers.length, m.edns]).toEqual([true, 0, undefined]);
  });

  test("with EDNS the client's size is honoured, at least 512 and at most 1232", async () => {
    const big = await udpQuery(server.port, "big.example.test.", RecordType.TXT, {
      ednsUdpPayloadSize: 4096,
    });
    expect([big.truncated, big.answers.length]).toEqual([false, 6]);
    const small = await udpQuery(server.port, "big.example.test.", RecordType.TXT, {
      ednsUdpPayloadSize: 100,
    });
    expect(small.truncated).toBe(true);
  });

  test("BADVERS for EDNS version 1", async () => {
    const bytes = query("www.example.test.", RecordType.A);
    // The OPT record is last: its TTL's second byte is the version.
    bytes[bytes.length - 5] = 1;
    const m = decodeMessage((await udpExchange(server.port, bytes)) as Uint8Array);
    expect([m.rcode, m.answers.length, m.edns?.version]).toEqual([Rcode.BADVERS, 0, 0]);
  });

  test("NOTIMP for other opcodes, with the id", async () => {
    const bytes = query("www.example.test.", RecordType.A, { id: 7 });
    bytes[2] = (bytes[2]! & 0x87) | (2 << 3); // STATUS
    const m = decodeMessage((await udpExchange(server.port, bytes)) as Uint8Array);
    expect([m.id, m.rcode, m.opcode]).toEqual([7, Rcode.NOTIMP, 2]);
  });

  test("FORMERR for a malformed query whose header reads", async () => {
    const twoQuestions = query("www.example.test.", RecordType.A, { id: 9, ednsUdpPayloadSize: 0 });
    twoQuestions[5] = 2;
    const cut = query("www.example.test.", RecordType.A, { id: 10 }).subarray(0, 20);
    for (const [bytes, id] of [
      [twoQuestions, 9],
      [cut, 10],
    ] as const) {
      const m = decodeMessage((await udpExchange(server.port, bytes)) as Uint8Array);
      expect([m.id, m.rcode, m.isResponse]).toEqual([id, Rcode.FORMERR, true]);
    }
  });

  test("nothing at all for a datagram without a header, or for a response", async () => {
    expect(await udpExchange(server.port, Uint8Array.of(1, 2, 3), 200)).toBeNull();
    const response = query("www.example.test.", RecordType.A);
    response[2] = response[2]! | 0x80;
    expect(await udpExchange(server.port, response, 200)).toBeNull();
  });

  test("AXFR over UDP is NOTIMP, as NSD answers it (RFC 5936 §4.2: TCP only)", async () => {
    const m = await udpQuery(server.port, "example.test.", RecordType.AXFR);
    expect([m.rcode, m.truncated, m.answers.length]).toEqual([Rcode.NOTIMP, false, 0]);
  });
});

describe("TCP", () => {
  test("several pipelined queries on one connection, written in one go", async () => {
    const c = await tcpClient(server.port);
    const names = ["www.example.test.", "nope.example.test.", "bbs.netkit.test.", "example.com."];
    const all = names.map((n, i) => {
      const q = query(n, RecordType.A, { id: 100 + i });
      const f = new Uint8Array(q.length + 2);
      f[1] = q.length;
      f.set(q, 2);
      return f;
    });
    c.socket.write(new Uint8Array(all.flatMap((f) => [...f])));
    await c.waitFor(() => c.messages.length === 4);
    const replies = c.messages.map((b) => decodeMessage(b));
    expect(replies.map((m) => [m.id, m.rcode])).toEqual([
      [100, Rcode.NOERROR],
      [101, Rcode.NXDOMAIN],
      [102, Rcode.NOERROR],
      [103, Rcode.REFUSED],
    ]);
    c.socket.end();
  });

  test("a query split byte by byte; large answers are not truncated", async () => {
    const c = await tcpClient(server.port);
    const q = query("big.example.test.", RecordType.TXT, { ednsUdpPayloadSize: 0 });
    const f = new Uint8Array(q.length + 2);
    f[1] = q.length;
    f.set(q, 2);
    for (const b of f) c.socket.write(Uint8Array.of(b));
    await c.waitFor(() => c.messages.length === 1);
    const m = decodeMessage(c.messages[0] as Uint8Array);
    expect([m.truncated, m.answers.length]).toEqual([false, 6]);
    c.socket.end();
  });

  test("AXFR from loopback: SOA first and last, every record", async () => {
    const c = await tcpClient(server.port);
    c.send(query("example.test.", RecordType.AXFR, { ednsUdpPayloadSize: 0 }));
    await c.waitFor(() => c.messages.length >= 1);
    const records = c.messages.flatMap((b) => decodeMessage(b).answers);
    expect(records[0]?.type).toBe(RecordType.SOA);
    expect(records.at(-1)?.type).toBe(RecordType.SOA);
    expect(records.length).toBe(28);
    c.socket.end();
  });

  test("a TCP stream that isn't DNS is cut off", async () => {
    const c = await tcpClient(server.port);
    c.socket.write(Uint8Array.of(0, 3, 1, 2, 3));
    await c.waitFor(() => c.isClosed());
  });
});

describe("operations", () => {
  test("AXFR is refused to addresses not allowed", async () => {
    const s = await startDnsServer({ zones: fixtureZones(), port: 0, axfrAllow: ["192.0.2.99"] });
    try {
      const c = await tcpClient(s.port);
      c.send(query("example.test.", RecordType.AXFR));
      await c.waitFor(() => c.messages.length === 1);
      expect(decodeMessage(c.messages[0] as Uint8Array).rcode).toBe(Rcode.REFUSED);
      c.socket.end();
    } finally {
      await s.stop();
    }
  });

  test("reload swaps zones; counters count by rcode and transport", async () => {
    const s = await startDnsServer({ zones: fixtureZones(), port: 0 });
    try {
      expect((await udpQuery(s.port, "new.netkit.test.", RecordType.A)).rcode).toBe(Rcode.NXDOMAIN);
      s.reload([
        parseZone(
          "$ORIGIN netkit.test.\n$TTL 60\n@ SOA ns h 2 1 1 1 1\n@ NS ns\nnew A 192.0.2.50\n",
        ),
      ]);
      const m = await udpQuery(s.port, "new.netkit.test.", RecordType.A);
      expect(m.answers.map((r) => r.data)).toEqual([{ address: "192.0.2.50" }]);
      const stats = s.stats();
      expect(stats.queries).toBe(2);
      expect(stats.byRcode).toEqual({ NXDOMAIN: 1, NOERROR: 1 });
      expect(stats.byTransport).toEqual({ udp: 2, tcp: 0 });
    } finally {
      await s.stop();
    }
  });
});

describe("TCP limits", () => {
  test("an idle connection is closed; connections over the cap are refused", async () => {
    const s = await startDnsServer({
      zones: fixtureZones(),
      port: 0,
      tcpIdleTimeoutMs: 200,
      maxTcpConnections: 2,
    });
    try {
      const a = await tcpClient(s.port);
      const b = await tcpClient(s.port);
      const c = await tcpClient(s.port);
      await c.waitFor(() => c.isClosed());
      a.send(query("www.example.test.", RecordType.A));
      await a.waitFor(() => a.messages.length === 1);
      await a.waitFor(() => a.isClosed() && b.isClosed(), 3000);
    } finally {
      await s.stop();
    }
  });

  test("a connection is closed after its query quota", async () => {
    const s = await startDnsServer({
      zones: fixtureZones(),
      port: 0,
      maxTcpQueriesPerConnection: 3,
    });
    try {
      const c = await tcpClient(s.port);
      for (let i = 0; i < 5; i++) c.send(query("www.example.test.", RecordType.A, { id: i }));
      await c.waitFor(() => c.isClosed());
      expect(c.messages.length).toBe(3);
    } finally {
      await s.stop();
    }
  });
});

describe("fuzz", () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  test(`random and mutated datagrams and TCP streams (seed ${seed})`, async () => {
    const random = prng(seed);
    const byte = () => Math.floor(random() * 256);
    const valid = [
      query("www.example.test.", RecordType.A),
      query("x.wild.example.test.", RecordType.TXT, { ednsUdpPayloadSize: 0 }),
      query("deleg.example.test.", RecordType.NS),
    ];
    const sock = await Bun.udpSocket({
      connect: { hostname: "127.0.0.1", port: server.port },
      socket: { data() {} },
    });
    try {
      for (let i = 0; i < 1500; i++) {
        let d: Uint8Array;
        if (i % 2 === 0) {
          d = Uint8Array.from({ length: Math.floor(random() * 80) }, byte);
        } else {
          d = (valid[i % valid.length] as Uint8Array).slice();
          for (let k = 0; k < 1 + Math.floor(random() * 4); k++)
            d[Math.floor(random() * d.length)] = byte();
          if (random() < 0.2) d = d.subarray(0, Math.floor(random() * d.length));
        }
        sock.send(d);
        if (i % 50 === 0) await Bun.sleep(1); // don't overrun the socket buffer
      }
      for (let i = 0; i < 20; i++) {
        const c = await tcpClient(server.port);
        const stream = Uint8Array.from({ length: 64 + Math.floor(random() * 300) }, byte);
        if (random() < 0.5) stream.set(valid[0] as Uint8Array, Math.floor(random() * 10));
        c.socket.write(stream);
        c.socket.end();
      }
    } catch (error) {
      throw new Error(`fuzz failed with seed ${seed}: ${error}`);
    } finally {
      sock.close();
    }
    // 750 datagrams from 127.0.0.1 put its /24 over the rate limit: ask from another network.
    const reply = await udpExchange(
      server.port,
      query("www.example.test.", RecordType.A),
      1000,
      "127.0.3.1",
    );
    expect(decodeMessage(reply as Uint8Array).answers.length).toBe(1);
    const c = await tcpClient(server.port);
    c.send(query("bbs.netkit.test.", RecordType.A));
    await c.waitFor(() => c.messages.length === 1);
    c.socket.end();
  });
});
