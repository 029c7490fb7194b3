// The resolver against scripted UDP/TCP servers on 127.0.0.1: spoofed and mismatched replies,
// truncation + TCP retry, server rotation, timeouts, concurrency on one socket, random ids.
import { afterEach, describe, expect, test } from "bun:test";
import { createResponse } from "../src/codec/message.ts";
import {
  createQuery,
  DnsError,
  decodeMessage,
  encodeMessage,
  type Message,
  parseServerAddress,
  RecordType,
  Resolver,
} from "../src/index.ts";
import { parseResolvConf } from "../src/resolver/resolv-conf.ts";
import { interpretResponse } from "../src/resolver/resolver.ts";

type Reply = (
  query: Message,
  send: (m: Message | Uint8Array) => void,
  from: { port: number },
) => void;

interface Scripted {
  port: number;
  queries: { id: number; port: number; name: string }[];
  tcpQueries: number;
  stop(): void;
}

const servers: Scripted[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop();
});

const answerA = (q: Message, address = "192.0.2.1"): Message => {
  const r = createResponse(q);
  const question = q.questions[0];
  if (question)
    r.answers.push({
      name: question.name,
      type: RecordType.A,
      class: 1,
      ttl: 60,
      data: { address },
    });
  return r;
};

/** A UDP server (and a TCP one on the same port) whose replies a test scripts. */
async function scripted(udp: Reply, tcp?: (q: Message) => Message): Promise<Scripted> {
  const queries: Scripted["queries"] = [];
  const openUdp = () =>
    Bun.udpSocket({
      hostname: "127.0.0.1",
      binaryType: "uint8array",
      socket: {
        error() {},
        data(s, buf, port, address) {
          const q = decodeMessage(buf);
          queries.push({ id: q.id, port, name: q.questions[0]?.name ?? "" });
          udp(q, (m) => s.send(m instanceof Uint8Array ? m : encodeMessage(m), port, address), {
            port,
          });
        },
      },
    });
  const state: Scripted = { port: 0, queries, tcpQueries: 0, stop: () => {} };
  const openTcp = (port: number) =>
    Bun.listen({
      hostname: "127.0.0.1",
      port,
      socket: {
        binaryType: "uint8array",
        data(s, chunk: Uint8Array) {
          const len = ((chunk[0] as number) << 8) | (chunk[1] as number);
          const q = decodeMessage(chunk.subarray(2, 2 + len));
          state.tcpQueries++;
          const body = encodeMessage(tcp!(q));
          const framed = new Uint8Array(body.length + 2);
          framed[0] = body.length >> 8;
          framed[1] = body.length & 0xff;
          framed.set(body, 2);
          s.write(framed);
        },
      },
    });
  // The OS picks a free UDP port; the same TCP port may be taken by someone else, so try again.
  let sock = await openUdp();
  let listener: { stop(closeActive?: boolean): void } | undefined;
  for (let attempt = 0; tcp && !listener; attempt++) {
    try {
      listener = openTcp(sock.port);
    } catch (error) {
      if ((error as { code?: string }).code !== "EADDRINUSE" || attempt >= 20) throw error;
      sock.close();
      sock = await openUdp();
    }
  }
  state.port = sock.port;
  state.stop = () => {
    sock.close();
    listener?.stop(true);
  };
  servers.push(state);
  return state;
}

describe("resolver over loopback", () => {
  test("ignores wrong ids, wrong questions and replies from other ports", async () => {
    const intruder = await Bun.udpSocket({ hostname: "127.0.0.1" });
    const s = await scripted((q, send, from) => {
      send({ ...answerA(q, "203.0.113.1"), id: (q.id + 1) & 0xffff });
      const wrongQ = answerA(q, "203.0.113.2");
      wrongQ.questions = [{ name: "other.test.", type: 1, class: 1 }];
      send(wrongQ);
      intruder.send(encodeMessage(answerA(q, "203.0.113.3")), from.port, "127.0.0.1");
      setTimeout(() => send(answerA(q, "192.0.2.77")), 30);
    });
    const r = new Resolver({ servers: [`127.0.0.1:${s.port}`], timeoutMs: 2000, retries: 0 });
    const res = await r.resolve("spoof.test", RecordType.A);
    expect(res.records.map((x) => x.data)).toEqual([{ address: "192.0.2.77" }]);
    intruder.close();
  });

  test("accepts a reply whose name differs only in case", async () => {
    const s = await scripted((q, send) => {
      const r = answerA(q);
      r.questions = q.questions.map((x) => ({ ...x, name: x.name.toUpperCase() }));
      send(r);
    });
    const res = await new Resolver({ servers: [`127.0.0.1:${s.port}`] }).resolve(
      "MiXeD.test",
      RecordType.A,
    );
    expect(res.status).toBe("NOERROR");
  });

  test("a truncated UDP reply is fetched again over TCP", async () => {
    const s = await scripted(
      (q, send) => send({ ...createResponse(q), truncated: true }),
      (q) => answerA(q, "192.0.2.99"),
    );
    const r = new Resolver({ servers: [`127.0.0.1:${s.port}`] });
    const res = await r.resolve("tc.test", RecordType.A);
    expect(res.records.map((x) => x.data)).toEqual([{ address: "192.0.2.99" }]);
    expect(res.exchanges[0]).toMatchObject({ transport: "tcp", retriedOverTcp: true });
    expect(s.tcpQueries).toBe(1);
  });

  test("forced TCP never touches UDP", async () => {
    const s = await scripted(
      () => {},
      (q) => answerA(q),
    );
    const res = await new Resolver({ servers: [`127.0.0.1:${s.port}`], tcp: true }).resolve(
      "t.test",
      1,
    );
    expect(res.exchanges[0]?.transport).toBe("tcp");
    expect(s.queries.length).toBe(0);
  });

  test("timeouts rotate over the servers, each round", async () => {
    const silent = await scripted(() => {});
    const alsoSilent = await scripted(() => {});
    const r = new Resolver({
      servers: [`127.0.0.1:${silent.port}`, `127.0.0.1:${alsoSilent.port}`],
      timeoutMs: 100,
      retries: 1,
    });
    const error = await r.resolve("slow.test", 1).catch((e) => e);
    expect(error).toBeInstanceOf(DnsError);
    expect((error as DnsError).code).toBe("TIMEOUT");
    expect(silent.queries.length).toBe(2);
    expect(alsoSilent.queries.length).toBe(2);
    // Each attempt carries a fresh id.
    expect(new Set([...silent.queries, ...alsoSilent.queries].map((q) => q.id)).size).toBe(4);
  });

  test("the second server answers when the first is silent", async () => {
    const silent = await scripted(() => {});
    const good = await scripted((q, send) => send(answerA(q)));
    const r = new Resolver({
      servers: [`127.0.0.1:${silent.port}`, `127.0.0.1:${good.port}`],
      timeoutMs: 100,
    });
    const res = await r.query(createQuery("x.test", RecordType.A));
    expect(res.attempts).toBe(2);
    expect(res.server.port).toBe(good.port);
  });

  test("concurrent queries share one socket and are matched by id, answered in any order", async () => {
    const pending: (() => void)[] = [];
    const s = await scripted((q, send) => {
      const n = Number(q.questions[0]?.name.split(".")[0]?.slice(1));
      pending.push(() => send(answerA(q, `10.0.0.${n}`)));
      if (pending.length === 50) for (const f of pending.reverse()) f();
    });
    const r = new Resolver({ servers: [`127.0.0.1:${s.port}`], timeoutMs: 3000 });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => r.resolve(`q${i}.test`, RecordType.A)),
    );
    results.forEach((res, i) => {
      expect(res.records[0]?.data).toEqual({ address: `10.0.0.${i}` });
    });
    expect(new Set(s.queries.map((q) => q.port)).size).toBe(1);
    expect(new Set(s.queries.map((q) => q.id)).size).toBe(50);
  });

  test("an undecodable reply with our id is BAD_RESPONSE, not a hang", async () => {
    const s = await scripted((q, send) =>
      send(Uint8Array.of(q.id >> 8, q.id & 0xff, 0x81, 0x80, 0, 1)),
    );
    const e = await new Resolver({ servers: [`127.0.0.1:${s.port}`], retries: 0 })
      .resolve("bad.test", 1)
      .catch((x) => x);
    expect((e as DnsError).code).toBe("BAD_RESPONSE");
  });

  test("sequential queries come from fresh random source ports", async () => {
    const s = await scripted((q, send) => send(answerA(q)));
    const r = new Resolver({ servers: [`127.0.0.1:${s.port}`] });
    for (let i = 0; i < 5; i++) await r.resolve(`p${i}.test`, RecordType.A);
    // The socket closes when idle, so each query binds anew and the kernel picks a random port.
    expect(new Set(s.queries.map((q) => q.port)).size).toBeGreaterThan(1);
  });

  test("close() cancels queries still waiting", async () => {
    const silent = await scripted(() => {});
    const r = new Resolver({ servers: [`127.0.0.1:${silent.port}`], timeoutMs: 5000 });
    const pending = r.resolve("wait.test", RecordType.A).catch((e) => e);
    await Bun.sleep(50);
    r.close();
    expect(((await pending) as DnsError).code).toBe("CANCELLED");
  });

  test("an AbortSignal cancels a query waiting over UDP, long before its timeout", async () => {
    const silent = await scripted(() => {});
    const r = new Resolver({ servers: [`127.0.0.1:${silent.port}`], timeoutMs: 5000 });
    const controller = new AbortController();
    const started = performance.now();
    const pending = r
      .resolve("wait.test", RecordType.A, { signal: controller.signal })
      .catch((e) => e);
    await Bun.sleep(50);
    controller.abort(new Error("user pressed ^C"));
    const error = (await pending) as DnsError;
    expect(error.code).toBe("CANCELLED");
    expect(error.message).toContain("user pressed ^C");
    expect(performance.now() - started).toBeLessThan(4000); // not the 5 s timeout, nor the retries
    expect(silent.queries).toHaveLength(1); // no retry after the abort
    // The resolver still works for other queries.
    const good = await scripted((q, send) => send(answerA(q, "192.0.2.9")));
    const ok = await r.resolve("after.test", RecordType.A, { servers: [`127.0.0.1:${good.port}`] });
    expect(ok.records.map((a) => a.data.address)).toEqual(["192.0.2.9"]);
  });

  test("an already aborted signal sends nothing", async () => {
    const s = await scripted((q, send) => send(answerA(q, "192.0.2.1")));
    const r = new Resolver({ servers: [`127.0.0.1:${s.port}`] });
    const error = (await r
      .resolve("never.test", RecordType.A, { signal: AbortSignal.abort() })
      .catch((e) => e)) as DnsError;
    expect(error.code).toBe("CANCELLED");
    expect(s.queries).toHaveLength(0);
  });

  test("an AbortSignal cancels a query waiting over TCP and closes the connection", async () => {
    let closed = false;
    const mute = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data() {}, // reads the query, never answers
        close() {
          closed = true;
        },
      },
    });
    servers.push({ port: mute.port, queries: [], tcpQueries: 0, stop: () => mute.stop(true) });
    const r = new Resolver({ servers: [`127.0.0.1:${mute.port}`], tcp: true, timeoutMs: 5000 });
    const controller = new AbortController();
    const pending = r
      .resolve("wait.test", RecordType.A, { signal: controller.signal })
      .catch((e) => e);
    await Bun.sleep(50);
    controller.abort();
    expect(((await pending) as DnsError).code).toBe("CANCELLED");
    for (let i = 0; i < 100 && !closed; i++) await Bun.sleep(10);
    expect(closed).toBe(true);
  });

  test("IPv6 servers work over ::1", async () => {
    const s = await Bun.udpSocket({
      hostname: "::1",
      binaryType: "uint8array",
      socket: {
        error() {},
        data(sock, buf, port, address) {
          sock.send(encodeMessage(answerA(decodeMessage(buf), "192.0.2.6")), port, address);
        },
      },
    });
    try {
      const r = new Resolver({ servers: [`[::1]:${s.port}`], timeoutMs: 1000, retries: 0 });
      const res = await r.resolve("v6.test", RecordType.A);
      expect(res.records[0]?.data).toEqual({ address: "192.0.2.6" });
      expect(res.exchanges[0]?.server).toEqual({ address: "::1", port: s.port });
    } finally {
      s.close();
    }
  });

  test("a CNAME chain that leaves the answer is asked for again", async () => {
    const s = await scripted((q, send) => {
      const name = q.questions[0]?.name;
      const r = createResponse(q);
      if (name === "alias.test.") {
        r.answers.push({
          name,
          type: RecordType.CNAME,
          class: 1,
          ttl: 30,
          data: { target: "real.test." },
        });
      } else r.answers.push(...answerA(q).answers);
      send(r);
    });
    const res = await new Resolver({ servers: [`127.0.0.1:${s.port}`] }).resolve(
      "alias.test",
      RecordType.A,
    );
    expect(res.cnames).toEqual([{ name: "alias.test.", target: "real.test.", ttl: 30 }]);
    expect(res.canonicalName).toBe("real.test.");
    expect(res.exchanges.length).toBe(2);
    expect(res.records.length).toBe(1);
  });
});

describe("interpretResponse and configuration", () => {
  const q = (name: string) => createResponse(createQuery(name, RecordType.A, { id: 1 }));
  test("a CNAME loop is an error, not a hang", () => {
    const r = q("a.test.");
    r.answers.push({
      name: "a.test.",
      type: RecordType.CNAME,
      class: 1,
      ttl: 1,
      data: { target: "b.test." },
    });
    r.answers.push({
      name: "b.test.",
      type: RecordType.CNAME,
      class: 1,
      ttl: 1,
      data: { target: "a.test." },
    });
    expect(() => interpretResponse(r, "a.test.", RecordType.A)).toThrow(
      expect.objectContaining({ code: "BAD_RESPONSE" }),
    );
  });
  test("NXDOMAIN vs NODATA and the negative TTL", () => {
    const soa = {
      name: "test.",
      type: RecordType.SOA,
      class: 1,
      ttl: 300,
      data: {
        mname: "ns.test.",
        rname: "h.test.",
        serial: 1,
        refresh: 1,
        retry: 1,
        expire: 1,
        minimum: 60,
      },
    } as const;
    const nx = { ...q("x.test."), rcode: 3, authorities: [soa] };
    expect(interpretResponse(nx, "x.test.", 1)).toMatchObject({
      status: "NXDOMAIN",
      negative: { ttl: 60 },
    });
    const nodata = { ...q("x.test."), authorities: [{ ...soa, ttl: 30 }] };
    expect(interpretResponse(nodata, "x.test.", 1)).toMatchObject({
      status: "NODATA",
      negative: { ttl: 30 },
    });
  });
  test("resolv.conf and server addresses", () => {
    expect(
      parseResolvConf(
        "# c\nnameserver 192.0.2.53\nnameserver fe80::1%eth0\nnameserver bogus\noptions timeout:3 attempts:4\n",
      ),
    ).toEqual({
      servers: [
        { address: "192.0.2.53", port: 53 },
        { address: "fe80::1", port: 53 },
      ],
      timeoutMs: 3000,
      attempts: 4,
    });
    expect(parseServerAddress("127.0.0.1:5353")).toEqual({ address: "127.0.0.1", port: 5353 });
    expect(parseServerAddress("[::1]:53")).toEqual({ address: "::1", port: 53 });
    expect(parseServerAddress("::1")).toEqual({ address: "::1", port: 53 });
    expect(parseServerAddress("example.com")).toBeUndefined();
  });
});
