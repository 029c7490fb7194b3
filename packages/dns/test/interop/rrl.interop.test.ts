// A real dig from a flooded /24: its UDP query gets a TC reply (slip), it retries over TCP and gets the answer.
import { afterAll, expect, test } from "bun:test";
import { RecordType } from "../../src/constants.ts";
import { type DnsServer, startDnsServer } from "../../src/server/server.ts";
import { fixtureZones, query } from "../server-helpers.ts";
import { DIG, requireTool, run } from "./nsd.ts";

const hasDig = requireTool(DIG, "dig", "bind9-dnsutils");
let server: DnsServer | undefined;
afterAll(async () => {
  await server?.stop();
});

test.skipIf(!hasDig)(
  "dig without +tcp, from a flooded network, retries over TCP after TC and gets its answer",
  async () => {
    // Slip 1: every answer over the rate is a TC reply, so dig's one UDP try surely is (with the
    // default slip 2 it would be dropped half the time, and dig would wait for its timeout).
    server = await startDnsServer({ zones: fixtureZones(), port: 0, rrlSlip: 1 });
    const flood = await Bun.udpSocket({
      hostname: "127.0.1.1",
      connect: { hostname: "127.0.0.1", port: server.port },
      socket: { data() {} },
    });
    const q = query("www.example.test.", RecordType.A, { ednsUdpPayloadSize: 0 });
    let flooding = true;
    const floodLoop = (async () => {
      while (flooding) {
        for (let i = 0; i < 50; i++) flood.send(q);
        await Bun.sleep(10);
      }
    })();
    try {
      // dig starts 200 ms into a second: by then the flood (5,000/s) has spent this second's 200,
      // and its query arrives well before the next second starts the count over.
      await Bun.sleep(1200 - (Date.now() % 1000));
      const before = server.stats();
      const { code, stdout } = await run([
        DIG as string,
        "-b",
        "127.0.1.9", // the flooded /24
        "@127.0.0.1",
        "-p",
        String(server.port),
        "www.example.test",
        "A",
        "+tries=1",
        "+time=2",
        "+norecurse",
      ]);
      const after = server.stats();
      expect(code).toBe(0);
      expect(stdout).toContain(";; Truncated, retrying in TCP mode.");
      expect(stdout).toMatch(/www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.3/);
      expect(stdout).toContain("status: NOERROR");
      expect(after.byTransport.tcp - before.byTransport.tcp).toBe(1);
      expect(after.slipped).toBeGreaterThan(before.slipped);
    } finally {
      flooding = false;
      await floodLoop;
      flood.close();
    }
  },
  15_000,
);
