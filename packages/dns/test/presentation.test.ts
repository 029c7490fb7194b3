// Presentation format: print and parse for every type, dig's spelling, RFC 3597 generic form.
import { describe, expect, test } from "bun:test";
import { DnsError, RecordType } from "../src/index.ts";
import { formatQuestion, formatRdata, formatRecord } from "../src/presentation/format.ts";
import {
  parseRdata,
  parseRecord,
  parseTtl,
  tokenizePresentation,
} from "../src/presentation/parse.ts";
import { SAMPLE_RECORD_LINES } from "./helpers.ts";

describe("print and parse every sample", () => {
  for (const line of SAMPLE_RECORD_LINES) {
    test(line, () => {
      const rr = parseRecord(line);
      const printed = formatRecord(rr);
      const again = parseRecord(printed);
      expect(again).toEqual(rr);
      expect(formatRecord(again)).toBe(printed);
      // The sample lines are written the way dig prints rdata.
      expect(formatRdata(rr)).toBe(tokensAfterType(line));
    });
  }
});

function tokensAfterType(line: string): string {
  return line.split(" ").slice(4).join(" ");
}

describe("dig spelling", () => {
  test("record and question lines use dig's tab columns", () => {
    expect(formatRecord(parseRecord("example.com. 300 IN A 192.0.2.1"))).toBe(
      "example.com.\t\t300\tIN\tA\t192.0.2.1",
    );
    expect(formatQuestion({ name: "example.com.", type: 15, class: 1 })).toBe(
      ";example.com.\t\t\tIN\tMX",
    );
    // Captured from dig 9.18 against NSD: long owners fall back to single spaces, BIND-style.
    expect(
      formatRecord(parseRecord("a-rather-long-owner-name-here.example.test. 300 IN A 192.0.2.7")),
    ).toBe("a-rather-long-owner-name-here.example.test. 300\tIN A 192.0.2.7");
    expect(
      formatQuestion({ name: "a-rather-long-owner-name-here.example.test.", type: 1, class: 1 }),
    ).toBe(";a-rather-long-owner-name-here.example.test. IN A");
  });
  test("unknown types and classes print the RFC 3597 way", () => {
    const rr = parseRecord("x.example. 5 CLASS32 TYPE65280 \\# 4 0a000001");
    expect(formatRecord(rr)).toBe("x.example.\t\t5\tCLASS32\tTYPE65280 \\# 4 0A000001");
  });
  test("TXT escapes", () => {
    const data = parseRdata(RecordType.TXT, [{ text: 'a "b" \\\\ é', quoted: true }]);
    expect(formatRdata({ name: ".", type: RecordType.TXT, class: 1, ttl: 0, data } as never)).toBe(
      '"a \\"b\\" \\\\ \\195\\169"',
    );
  });
});

describe("parseRdata", () => {
  test("relative names complete with the origin; @ is the origin", () => {
    expect(parseRdata(RecordType.MX, ["10", "mail"], "example.com.")).toEqual({
      preference: 10,
      exchange: "mail.example.com.",
    });
    expect(parseRdata(RecordType.CNAME, ["@"], "example.com.")).toEqual({ target: "example.com." });
  });
  test("SOA timers accept BIND units", () => {
    expect(parseTtl("1h30m")).toBe(5400);
    expect(parseTtl("1W")).toBe(604800);
    const soa = parseRdata(RecordType.SOA, ["ns", "host", "1", "2h", "1h", "2w", "5m"], "ex.");
    expect(soa).toEqual({
      mname: "ns.ex.",
      rname: "host.ex.",
      serial: 1,
      refresh: 7200,
      retry: 3600,
      expire: 1209600,
      minimum: 300,
    });
  });
  test("generic form for a known type gives typed data", () => {
    expect(parseRdata(RecordType.A, ["\\#", "4", "C0000201"])).toEqual({ address: "192.0.2.1" });
    expect(parseRdata(RecordType.MX, ["\\#", "5", "000a", "016100"])).toEqual({
      preference: 10,
      exchange: "a.",
    });
  });
  test("unquoted TXT fields and quoted tokens from a zone lexer", () => {
    expect(parseRdata(RecordType.TXT, ["abc", { text: "d e", quoted: true }])).toEqual({
      strings: [new TextEncoder().encode("abc"), new TextEncoder().encode("d e")],
    });
  });
  const bad: [string, number, string[]][] = [
    ["A with two fields", RecordType.A, ["1.2.3.4", "5"]],
    ["A not an address", RecordType.A, ["1.2.3"]],
    ["AAAA not an address", RecordType.AAAA, ["1:2:3"]],
    ["MX preference too big", RecordType.MX, ["70000", "a."]],
    ["SRV missing target", RecordType.SRV, ["1", "2", "3"]],
    ["TXT string over 255", RecordType.TXT, ["x".repeat(256)]],
    ["CAA bad tag", RecordType.CAA, ["0", "is-sue", "x"]],
    ["generic length mismatch", 65280, ["\\#", "3", "0a0000"].slice(0, 2)],
    ["unknown type without generic form", 65280, ["abc"]],
    ["bad escape", RecordType.TXT, ["\\999"]],
    ["empty label", RecordType.NS, ["a..b."]],
  ];
  for (const [label, type, fields] of bad) {
    test(`rejects ${label}`, () => {
      expect(() => parseRdata(type, fields)).toThrow(DnsError);
    });
  }
  test("tokenizer keeps quotes and escapes", () => {
    expect(tokenizePresentation('a "b c" d\\ e ; comment')).toEqual([
      { text: "a", quoted: false },
      { text: "b c", quoted: true },
      { text: "d\\ e", quoted: false },
    ]);
  });
});
