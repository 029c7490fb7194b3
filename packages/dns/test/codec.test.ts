// Unit tests of the wire codec: golden bytes, round trips, malformed input, names.
import { describe, expect, test } from "bun:test";
import { formatIPv6, parseIPv6, reverseName } from "../src/codec/address.ts";
import { createResponse, isRecordType } from "../src/codec/message.ts";
import {
  compareNames,
  isSubdomain,
  namesEqual,
  normalizeName,
  readName,
} from "../src/codec/name.ts";
import {
  createQuery,
  DnsError,
  decodeMessage,
  encodeMessage,
  type Message,
  Rcode,
  RecordType,
} from "../src/index.ts";
import { hex, sampleRecords, toHexString } from "./helpers.ts";

// RFC 1035 §6.2.1-style exchange, built by hand: a query for SRI-NIC.ARPA A and its answer.
const QUERY = hex(`
  1234 0100 0001 0000 0000 0000            # id, RD, QDCOUNT 1
  07 5352492d4e4943 04 41525041 00         # SRI-NIC.ARPA.
  0001 0001                                # A IN
`);
const ANSWER = hex(`
  1234 8500 0001 0002 0000 0000            # QR AA RD, 1 question, 2 answers
  07 5352492d4e4943 04 41525041 00 0001 0001
  c00c 0001 0001 00015180 0004 1a000049    # SRI-NIC.ARPA. 86400 IN A 26.0.0.73
  c00c 0001 0001 00015180 0004 0a000033    # SRI-NIC.ARPA. 86400 IN A 10.0.0.51
`);

describe("golden bytes (RFC 1035 by hand)", () => {
  test("decodes the query", () => {
    const m = decodeMessage(QUERY);
    expect(m.id).toBe(0x1234);
    expect(m.isResponse).toBe(false);
    expect(m.recursionDesired).toBe(true);
    expect(m.questions).toEqual([{ name: "SRI-NIC.ARPA.", type: 1, class: 1 }]);
    expect(m.edns).toBeUndefined();
  });
  test("decodes the answer with compression pointers", () => {
    const m = decodeMessage(ANSWER);
    expect(m.isResponse && m.authoritative && m.recursionDesired).toBe(true);
    expect(m.answers).toEqual([
      { name: "SRI-NIC.ARPA.", type: 1, class: 1, ttl: 86400, data: { address: "26.0.0.73" } },
      { name: "SRI-NIC.ARPA.", type: 1, class: 1, ttl: 86400, data: { address: "10.0.0.51" } },
    ]);
  });
  test("re-encodes both to the same bytes", () => {
    expect(toHexString(encodeMessage(decodeMessage(QUERY)))).toBe(toHexString(QUERY));
    expect(toHexString(encodeMessage(decodeMessage(ANSWER)))).toBe(toHexString(ANSWER));
  });
  test("compression is case-insensitive and case-preserving", () => {
    const m = decodeMessage(ANSWER);
    m.answers[1] = { ...(m.answers[1] as Message["answers"][number]), name: "sri-nic.arpa." };
    const bytes = encodeMessage(m);
    expect(bytes.length).toBe(ANSWER.length);
    const back = decodeMessage(bytes);
    // The pointer leads to the first spelling: DNS names compare case-insensitively.
    expect(back.answers[1]?.name).toBe("SRI-NIC.ARPA.");
  });
});

function roundTrip(m: Message): Message {
  const bytes = encodeMessage(m);
  const back = decodeMessage(bytes);
  expect(toHexString(encodeMessage(back))).toBe(toHexString(bytes));
  return back;
}

describe("round trip", () => {
  for (const rr of sampleRecords()) {
    test(`${rr.type} ${rr.name}`, () => {
      const m = createResponse(createQuery(rr.name, rr.type, { id: 7 }));
      m.answers.push(rr);
      m.authorities.push(rr);
      m.additionals.push(rr);
      const back = roundTrip(m);
      expect(back.answers[0]).toEqual(rr);
      expect(back.authorities[0]).toEqual(rr);
      expect(back.additionals[0]).toEqual(rr);
      // Uncompressed too.
      expect(decodeMessage(encodeMessage(m, { compress: false })).answers[0]).toEqual(rr);
    });
  }
  test("all header flags and the extended rcode", () => {
    const m = createQuery("a.example.", RecordType.TXT, { id: 0xbeef, dnssecOk: true });
    Object.assign(m, {
      isResponse: true,
      opcode: 5,
      authoritative: true,
      truncated: true,
      recursionAvailable: true,
      authenticData: true,
      checkingDisabled: true,
      rcode: Rcode.BADCOOKIE,
    });
    m.edns?.options.push({ code: 10, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) });
    const back = roundTrip(m);
    expect(back).toEqual(m);
  });
  test("OPT as a record type on its own", () => {
    const m = createQuery(".", RecordType.NS, { ednsUdpPayloadSize: 4096 });
    const back = roundTrip(m);
    expect(back.edns).toEqual({
      udpPayloadSize: 4096,
      version: 0,
      dnssecOk: false,
      flags: 0,
      options: [],
    });
  });
  test("narrowing with isRecordType", () => {
    const [mx] = sampleRecords().filter((r) => r.type === RecordType.MX);
    if (!mx || !isRecordType(mx, RecordType.MX)) throw new Error("no MX sample");
    expect(mx.data.exchange).toBe("mail.example.com.");
  });
  test("compresses names in rdata of NS/MX/SOA/CNAME/PTR but not SRV", () => {
    const m = createResponse(
      createQuery("example.com.", RecordType.MX, { id: 1, ednsUdpPayloadSize: 0 }),
    );
    m.answers.push({
      name: "example.com.",
      type: RecordType.MX,
      class: 1,
      ttl: 1,
      data: { preference: 1, exchange: "example.com." },
    });
    m.answers.push({
      name: "example.com.",
      type: RecordType.SRV,
      class: 1,
      ttl: 1,
      data: { priority: 1, weight: 1, port: 1, target: "example.com." },
    });
    const b = encodeMessage(m);
    // header 12 + question 17; MX: ptr(2)+10+2+ptr(2); SRV: ptr(2)+10+6+13 (target uncompressed)
    expect(b.length).toBe(12 + 17 + 16 + 31);
  });
});

function expectCode(bytes: Uint8Array, code: string) {
  try {
    decodeMessage(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(DnsError);
    expect((e as DnsError).code).toBe(code as DnsError["code"]);
    return;
  }
  throw new Error(`expected ${code}, decoded fine`);
}

describe("malformed input gets a typed error", () => {
  const header = (qd: number, an: number, ns = 0, ar = 0) =>
    `abcd 8000 ${[qd, an, ns, ar].map((n) => n.toString(16).padStart(4, "0")).join(" ")}`;
  const cases: [string, string, string][] = [
    ["empty", "", "TRUNCATED_HEADER"],
    ["11-byte header", "abcd 0100 0001 0000 0000 00", "TRUNCATED_HEADER"],
    ["QDCOUNT 1 but no question", header(1, 0), "TRUNCATED_MESSAGE"],
    ["ANCOUNT 65535 with no data", `${header(0, 0xffff)}`, "TRUNCATED_MESSAGE"],
    ["question without type/class", `${header(1, 0)} 01 61 00 0001`, "TRUNCATED_MESSAGE"],
    ["name without its root label", `${header(1, 0)} 01 61`, "TRUNCATED_MESSAGE"],
    ["label running past the end", `${header(1, 0)} 05 6162`, "TRUNCATED_MESSAGE"],
    [
      "record cut inside its fixed fields",
      `${header(0, 1)} 00 0001 0001 0000`,
      "TRUNCATED_MESSAGE",
    ],
    ["rdlength past the end", `${header(0, 1)} 00 0001 0001 00000000 0004 0102`, "RDATA_OVERRUN"],
    ["A rdata of 5 bytes", `${header(0, 1)} 00 0001 0001 00000000 0005 0102030405`, "BAD_RDATA"],
    [
      "MX name running past its rdlength",
      `${header(0, 1)} 00 000f 0001 00000000 0004 000a 0361 6263 00`,
      "BAD_RDATA",
    ],
    [
      "MX with a byte left over",
      `${header(0, 1)} 00 000f 0001 00000000 0005 000a 00 ff ff`,
      "BAD_RDATA",
    ],
    [
      "TXT string longer than rdata",
      `${header(0, 1)} 00 0010 0001 00000000 0002 05 61`,
      "BAD_RDATA",
    ],
    ["SOA without timers", `${header(0, 1)} 00 0006 0001 00000000 0002 00 00`, "BAD_RDATA"],
    ["pointer to itself", `${header(1, 0)} c00c 0001 0001`, "BAD_POINTER"],
    ["forward pointer", `${header(1, 0)} c00e 0001 0001 00`, "BAD_POINTER"],
    ["pointer loop via a label", `${header(1, 0)} 01 61 c00c`, "BAD_POINTER"],
    ["label of 64 bytes", `${header(1, 0)} 40 ${"61".repeat(64)} 00 0001 0001`, "LABEL_TOO_LONG"],
    ["reserved label type 0x80", `${header(1, 0)} 80 00 0001 0001`, "BAD_LABEL_TYPE"],
    [
      "name of 256 bytes",
      `${header(1, 0)} ${`3f ${"61".repeat(63)} `.repeat(4)}00 0001 0001`,
      "NAME_TOO_LONG",
    ],
    [
      "two OPT records",
      `${header(0, 0, 0, 2)} 00 0029 0200 00000000 0000 00 0029 0200 00000000 0000`,
      "BAD_OPT",
    ],
    ["OPT in the answer section", `${header(0, 1)} 00 0029 0200 00000000 0000`, "BAD_OPT"],
    [
      "OPT option past its rdata",
      `${header(0, 0, 0, 1)} 00 0029 0200 00000000 0004 000a 0008`,
      "BAD_RDATA",
    ],
  ];
  for (const [label, bytes, code] of cases) test(label, () => expectCode(hex(bytes), code));

  test("a long chain of pointers, each further back, is capped", () => {
    // "a" + root, then 200 names "a" + pointer to the previous one: every pointer is legal on
    // its own, the chain as a whole is not.
    const parts = [header(1, 0), "01 61 00"];
    let prev = 12;
    for (let i = 0; i < 200; i++) {
      parts.push(`01 61 ${(0xc000 | prev).toString(16)}`);
      prev = 15 + i * 4;
    }
    const bytes = hex(parts.join(" "));
    expect(() => readName(bytes, prev)).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^(POINTER_LOOP|NAME_TOO_LONG)$/) }),
    );
  });

  test("encoding rejects bad values", () => {
    const m = createQuery("a.example.", RecordType.A, { id: 1 });
    m.answers.push({
      name: "a.example.",
      type: 1,
      class: 1,
      ttl: 0,
      data: { address: "300.1.1.1" },
    });
    expect(() => encodeMessage(m)).toThrow(expect.objectContaining({ code: "BAD_VALUE" }));
    const long = createQuery(`${"a".repeat(64)}.example.`, RecordType.A);
    expect(() => encodeMessage(long)).toThrow(expect.objectContaining({ code: "LABEL_TOO_LONG" }));
    const huge = createQuery(`${"abcdefg.".repeat(32)}`, RecordType.A);
    expect(() => encodeMessage(huge)).toThrow(expect.objectContaining({ code: "NAME_TOO_LONG" }));
    const empty = createQuery("a..example.", RecordType.A);
    expect(() => encodeMessage(empty)).toThrow(expect.objectContaining({ code: "BAD_VALUE" }));
  });
});

describe("names", () => {
  test("normalize, compare, subdomain", () => {
    expect(normalizeName("WWW.Example.COM")).toBe("www.example.com.");
    expect(normalizeName("a\\.B.example.")).toBe("a\\.b.example.");
    expect(normalizeName("\\065.example")).toBe("a.example.");
    expect(normalizeName(".")).toBe(".");
    expect(namesEqual("Example.com", "example.COM.")).toBe(true);
    expect(namesEqual("a.example.", "b.example.")).toBe(false);
    expect(isSubdomain("www.Example.com.", "example.com")).toBe(true);
    expect(isSubdomain("example.com.", "www.example.com")).toBe(false);
    expect(isSubdomain("anything.", ".")).toBe(true);
    // RFC 4034 §6.1 example order.
    const sorted = [
      "z.example.",
      "a.example.",
      "yljkjljk.a.example.",
      "example.",
      "Z.a.example.",
      "\\001.z.example.",
      "zABC.a.EXAMPLE.",
      "*.z.example.",
      "\\200.z.example.",
    ].sort(compareNames);
    expect(sorted).toEqual([
      "example.",
      "a.example.",
      "yljkjljk.a.example.",
      "Z.a.example.",
      "zABC.a.EXAMPLE.",
      "z.example.",
      "\\001.z.example.",
      "*.z.example.",
      "\\200.z.example.",
    ]);
  });
  test("escapes survive the wire", () => {
    const name = 'a\\.b\\032c\\"\\@\\\\\\255.example.';
    const m = createQuery(name, RecordType.A, { id: 1 });
    expect(decodeMessage(encodeMessage(m)).questions[0]?.name).toBe(name);
  });
  test("reverse names and IPv6 text", () => {
    expect(reverseName("192.0.2.1")).toBe("1.2.0.192.in-addr.arpa.");
    expect(reverseName("2001:db8::1")).toBe(
      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
    );
    for (const [text, printed] of [
      ["::", "::"],
      ["::1", "::1"],
      ["1::", "1::"],
      ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
      ["0:0:0:0:0:0:0102:0304", "::1.2.3.4"],
      ["1:0:0:0:0:0:0:8", "1::8"],
      ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
      ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"],
    ] as const) {
      expect(formatIPv6(parseIPv6(text))).toBe(printed);
    }
  });
});
