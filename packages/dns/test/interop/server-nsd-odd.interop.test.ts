// Differential on the odd and malformed: zone transfers over UDP and TCP, IXFR's serial cases, other
// opcodes, broken headers and sections, and a seeded fuzz of mutated queries, sent as raw bytes to
// NSD and to us (same zone file, transfers allowed to 127.0.0.1, RRL off on both); the replies must
// agree on whether there is one, rcode, opcode, AA, TC, RD, and whether a question and answers came back.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createQuery, decodeMessage, encodeMessage } from "../../src/codec/message.ts";
import { RecordType } from "../../src/constants.ts";
import { type DnsServer, startDnsServer } from "../../src/server/server.ts";
import { parseZone } from "../../src/zone/load.ts";
import { FIXTURE_ZONE, prng, query, tcpClient, udpExchange } from "../server-helpers.ts";
import { NSD, type NsdServer, requireTool, startNsd } from "./nsd.ts";

const hasNsd = requireTool(NSD, "nsd", "nsd");
const zoneText = readFileSync(FIXTURE_ZONE, "utf8");
const SERIAL = 2024010101; // example.test.zone's

let ours: DnsServer;
let nsd: NsdServer;
beforeAll(async () => {
  if (!hasNsd) return;
  ours = await startDnsServer({
    zones: [parseZone(zoneText, { file: FIXTURE_ZONE })],
    port: 0,
    rrlPerSecond: 0,
  });
  nsd = await startNsd(
    { "example.test": zoneText },
    { server: "  rrl-ratelimit: 0\n", zone: "  provide-xfr: 127.0.0.1 NOKEY\n" },
  );
}, 20_000);
afterAll(async () => {
  await ours?.stop();
  await nsd?.stop();
});

const plain = (name: string, type: number) => query(name, type, { ednsUdpPayloadSize: 0 });
const edit = (bytes: Uint8Array, change: (b: Uint8Array) => void) => {
  const copy = bytes.slice();
  change(copy);
  return copy;
};
const withOpcode = (bytes: Uint8Array, opcode: number) =>
  edit(bytes, (b) => {
    b[2] = (b[2]! & 0x87) | (opcode << 3);
  });
/** IXFR as dig sends it: the client's SOA in the authority section (RFC 1995 §3). */
function ixfr(name: string, serial: number, ednsUdpPayloadSize = 0): Uint8Array {
  const m = createQuery(name, RecordType.IXFR, { ednsUdpPayloadSize, recursionDesired: false });
  m.authorities.push({
    name,
    type: RecordType.SOA,
    class: 1,
    ttl: 0,
    data: {
      mname: "ns1.example.test.",
      rname: "h.example.test.",
      serial,
      refresh: 1,
      retry: 1,
      expire: 1,
      minimum: 1,
    },
  });
  return encodeMessage(m);
}

const CASES: [string, Uint8Array][] = [
  ["AXFR", plain("example.test.", RecordType.AXFR)],
  ["AXFR with EDNS", query("example.test.", RecordType.AXFR)],
  ["AXFR of a name inside the zone", plain("www.example.test.", RecordType.AXFR)],
  ["AXFR of a zone we don't serve", plain("other.invalid.", RecordType.AXFR)],
  ["IXFR without the client's SOA", plain("example.test.", RecordType.IXFR)],
  ["IXFR with EDNS, without SOA", query("example.test.", RecordType.IXFR)],
  ["IXFR from serial 1", ixfr("example.test.", 1)],
  ["IXFR from serial 1, EDNS 600", ixfr("example.test.", 1, 600)],
  ["IXFR from serial 1, EDNS 4096", ixfr("example.test.", 1, 4096)],
  ["IXFR from our serial", ixfr("example.test.", SERIAL)],
  ["IXFR from a newer serial", ixfr("example.test.", SERIAL + 1)],
  [
    "IXFR from a serial 2^31 + 5 ahead (older)",
    ixfr("example.test.", (SERIAL + 2 ** 31 + 5) >>> 0),
  ],
  ["IXFR of a zone we don't serve", ixfr("other.invalid.", 1)],
  [
    "IXFR with an authority count but none there",
    edit(plain("example.test.", RecordType.IXFR), (b) => {
      b[9] = 1;
    }),
  ],
  ...[1, 2, 3, 4, 5, 6, 15].map(
    (op) =>
      [`opcode ${op}`, withOpcode(plain("example.test.", RecordType.A), op)] as [
        string,
        Uint8Array,
      ],
  ),
  ["NOTIFY for AXFR", withOpcode(plain("example.test.", RecordType.AXFR), 4)],
  [
    "an rcode in the query",
    edit(plain("example.test.", RecordType.A), (b) => {
      b[3] = b[3]! | 3;
    }),
  ],
  [
    "TC in the query",
    edit(plain("example.test.", RecordType.A), (b) => {
      b[2] = b[2]! | 2;
    }),
  ],
  [
    "Z in the query",
    edit(plain("example.test.", RecordType.A), (b) => {
      b[3] = b[3]! | 0x40;
    }),
  ],
  [
    "no question",
    edit(plain("example.test.", RecordType.A), (b) => {
      b[5] = 0;
    }),
  ],
  [
    "two questions",
    edit(plain("example.test.", RecordType.A), (b) => {
      b[5] = 2;
    }),
  ],
  [
    "an answer count",
    edit(plain("example.test.", RecordType.A), (b) => {
      b[7] = 1;
    }),
  ],
  [
    "an authority count on an A query",
    edit(plain("example.test.", RecordType.A), (b) => {
      b[9] = 1;
    }),
  ],
  [
    "an additional count with nothing",
    edit(plain("example.test.", RecordType.A), (b) => {
      b[11] = 1;
    }),
  ],
  ["the header alone", plain("example.test.", RecordType.A).subarray(0, 12)],
  ["a question cut in its name", plain("example.test.", RecordType.A).subarray(0, 20)],
  ["a question cut in its type", plain("example.test.", RecordType.A).subarray(0, 28)],
  [
    "a label of 64",
    edit(plain("example.test.", RecordType.A), (b) => {
      b[12] = 64;
    }),
  ],
  [
    "a pointer in the question",
    edit(plain("example.test.", RecordType.A), (b) => {
      b[12] = 0xc0;
      b[13] = 12;
    }),
  ],
  ["trailing bytes", new Uint8Array([...plain("example.test.", RecordType.A), 7, 7, 7])],
  [
    "EDNS version 1",
    edit(query("example.test.", RecordType.A), (b) => {
      b[b.length - 5] = 1;
    }),
  ],
  ["an OPT cut short", query("example.test.", RecordType.A).subarray(0, 38)],
  [
    "class CH",
    edit(plain("example.test.", RecordType.A), (b) => {
      b[b.length - 1] = 3;
    }),
  ],
  ["QTYPE 0", plain("example.test.", 0)],
  ["QTYPE OPT", plain("example.test.", RecordType.OPT)],
  [
    "a response (QR set)",
    edit(plain("example.test.", RecordType.A), (b) => {
      b[2] = b[2]! | 0x80;
    }),
  ],
  ["11 bytes", plain("example.test.", RecordType.A).subarray(0, 11)],
];

/** What both servers must agree on. */
function shape(reply: Uint8Array | null | "closed"): string {
  if (reply === null || reply === "closed") return String(reply);
  const flags = (reply[2]! << 8) | reply[3]!;
  // NSD's FORMERR to IXFR without an SOA is a header whose QDCOUNT says 1 with no question after
  // it; dig calls it malformed. Ours carries the question. Only the rcode can be compared.
  if (reply.length === 12 && reply[5] !== 0)
    return `rcode ${flags & 0xf} (a header claiming a question)`;
  let answers = "?";
  try {
    answers = decodeMessage(reply).answers.length > 0 ? "answers" : "no answers";
  } catch {
    answers = "undecodable";
  }
  return [
    `rcode ${flags & 0xf}`,
    `opcode ${(flags >> 11) & 0xf}`,
    flags & 0x0400 ? "aa" : "",
    flags & 0x0200 ? "tc" : "",
    flags & 0x0100 ? "rd" : "",
    reply.length > 12 ? "question" : "header only",
    answers,
  ]
    .filter(Boolean)
    .join(" ");
}

async function overTcp(port: number, bytes: Uint8Array): Promise<Uint8Array | null | "closed"> {
  const c = await tcpClient(port);
  c.send(bytes);
  for (let t = 0; t < 1000 && c.messages.length === 0 && !c.isClosed(); t += 5) await Bun.sleep(5);
  c.socket.end();
  return c.messages[0] ?? (c.isClosed() ? "closed" : null);
}

async function compare(label: string, bytes: Uint8Array, tcp: boolean, out: string[]) {
  const ask = (port: number) => (tcp ? overTcp(port, bytes) : udpExchange(port, bytes, 250));
  const [a, b] = await Promise.all([ask(ours.port), ask(nsd.port)]);
  const [sa, sb] = [shape(a), shape(b)];
  const quirk = sb.endsWith("(a header claiming a question)");
  if (quirk ? !sa.startsWith(`${sb.split(" (")[0]} `) : sa !== sb)
    out.push(`${label} (${tcp ? "TCP" : "UDP"}): ours ${sa} / NSD ${sb}`);
}

test.skipIf(!hasNsd)(
  "odd and malformed queries get NSD's answers, over UDP and TCP",
  async () => {
    const differences: string[] = [];
    for (const [label, bytes] of CASES) {
      await compare(label, bytes, false, differences);
      // Over TCP: NSD closes the connection on a message that is a header alone (where over UDP
      // it answers FORMERR); we answer FORMERR on both, which RFC 7766 allows. Not compared.
      if (bytes.length > 12) await compare(label, bytes, true, differences);
    }
    expect(differences).toEqual([]);
  },
  60_000,
);

test.skipIf(!hasNsd)(
  "mutated queries (seeded fuzz) get NSD's answers",
  async () => {
    // A fixed seed by default: NSD is another implementation, and a new seed per run can find a
    // rarer shape where the two differ (FUZZ_SEED=N explores; see the README for what is left).
    const seed = Number(process.env.FUZZ_SEED ?? 1);
    const random = prng(seed);
    const valid = [
      plain("www.example.test.", RecordType.A),
      query("x.wild.example.test.", RecordType.TXT),
      plain("deleg.example.test.", RecordType.NS),
      plain("example.test.", RecordType.SOA),
      // No IXFR here: NSD accepts an IXFR whose authority owner is a broken label (0x80 and 0x40
      // label types) where we answer FORMERR; the well-formed IXFR cases are in the list above.
    ];
    const differences: string[] = [];
    for (let i = 0; i < 400; i++) {
      const d = (valid[i % valid.length] as Uint8Array).slice();
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++)
        d[Math.floor(random() * d.length)] = Math.floor(random() * 256);
      const bytes = random() < 0.2 ? d.subarray(0, Math.floor(random() * d.length)) : d;
      await compare(`#${i} ${Buffer.from(bytes).toString("hex")}`, bytes, false, differences);
    }
    if (differences.length > 0) console.error(`fuzz seed ${seed} (FUZZ_SEED=${seed} replays)`);
    expect(differences).toEqual([]);
  },
  60_000,
);
