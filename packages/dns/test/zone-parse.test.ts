import { describe, expect, test } from "bun:test";
import { ZoneSyntaxError } from "../src/zone/lexer.ts";
import { parseTtl, parseZoneText } from "../src/zone/parse.ts";

const brief = (text: string, options = {}) =>
  parseZoneText(text, options).map((r) => [
    r.owner,
    r.ttl,
    r.class,
    r.type,
    r.fields.map((f) => f.text).join(" "),
  ]);

describe("parseZoneText", () => {
  test("$ORIGIN, @, relative and absolute names, omitted owner/TTL/class", () => {
    const text = [
      "$ORIGIN example.com.",
      "$TTL 1h",
      "@ IN SOA ns1 hostmaster ( 1 7200 3600 1209600 300 )",
      "  NS ns1",
      "ns1 300 A 192.0.2.1",
      "www IN 60 A 192.0.2.2",
      "\tAAAA 2001:db8::2",
      "mail.other.test. MX 10 www",
      "$ORIGIN sub.example.com.",
      "a A 192.0.2.3",
    ].join("\n");
    expect(brief(text)).toEqual([
      ["example.com.", 3600, 1, 6, "ns1 hostmaster 1 7200 3600 1209600 300"],
      ["example.com.", 3600, 1, 2, "ns1"],
      ["ns1.example.com.", 300, 1, 1, "192.0.2.1"],
      ["www.example.com.", 60, 1, 1, "192.0.2.2"],
      ["www.example.com.", 3600, 1, 28, "2001:db8::2"],
      ["mail.other.test.", 3600, 1, 15, "10 www"],
      ["a.sub.example.com.", 3600, 1, 1, "192.0.2.3"],
    ]);
    expect(parseZoneText(text)[6]?.origin).toBe("sub.example.com.");
  });

  test("without $TTL, an omitted TTL is the last explicit one", () => {
    expect(brief("a 30 A 1.2.3.4\nb A 1.2.3.5\n", { origin: "x." }).map((r) => r[1])).toEqual([
      30, 30,
    ]);
  });

  test("the initial origin comes from the options", () => {
    expect(brief("@ 5 A 1.2.3.4\n", { origin: "zone.test" })[0]?.[0]).toBe("zone.test.");
  });

  test("$INCLUDE reads relative to the including file, with an optional origin, then restores ours", () => {
    const files: Record<string, string> = {
      "/z/sub/inc.zone": "x A 192.0.2.9\n",
      "/z/main.zone":
        "$ORIGIN main.test.\n$TTL 10\n$INCLUDE sub/inc.zone\n$INCLUDE sub/inc.zone other.test.\ny A 192.0.2.8\n",
    };
    const read = (path: string) => {
      const t = files[path];
      if (t === undefined) throw new Error("ENOENT");
      return t;
    };
    expect(
      brief(files["/z/main.zone"] as string, { file: "/z/main.zone", readInclude: read }),
    ).toEqual([
      ["x.main.test.", 10, 1, 1, "192.0.2.9"],
      ["x.other.test.", 10, 1, 1, "192.0.2.9"],
      ["y.main.test.", 10, 1, 1, "192.0.2.8"],
    ]);
  });

  test("error positions inside an included file name that file", () => {
    const read = () => "ok 5 A 1.2.3.4\nbad 99999999999 A 1.2.3.4\n";
    expect(() =>
      parseZoneText("$ORIGIN t.\n$INCLUDE inc.zone\n", { file: "/d/main.zone", readInclude: read }),
    ).toThrow("/d/inc.zone:2:5: bad TTL '99999999999'");
  });

  test("quoted rdata keeps its token form", () => {
    const [r] = parseZoneText('t 1 TXT "hello world" "a\\"b"\n', { origin: "x." });
    expect(r?.fields.map((f) => [f.text, f.quoted])).toEqual([
      ["hello world", true],
      ['a\\"b', true],
    ]);
  });

  test.each([
    [
      "no owner on the first record",
      "  A 1.2.3.4\n",
      1,
      3,
      "no owner name, and no previous record",
    ],
    [
      "a relative name with no origin",
      "www 1 A 1.2.3.4\n",
      1,
      1,
      "relative name 'www' with no $ORIGIN",
    ],
    ["'@' with no origin", "@ 1 A 1.2.3.4\n", 1, 1, "'@' used before any $ORIGIN"],
    ["no TTL anywhere", "$ORIGIN x.\na A 1.2.3.4\n", 2, 1, "no TTL, and no $TTL or previous TTL"],
    ["a bad $TTL", "$TTL forever\n", 1, 6, "bad TTL 'forever'"],
    ["an unknown type", "$ORIGIN x.\na 1 IN BOGUS 1\n", 2, 8, "unknown record type 'BOGUS'"],
    ["a missing type", "$ORIGIN x.\na 1 IN\n", 2, 5, "missing record type"],
    [
      "an unknown directive",
      "$GENERATE 1-3 a A 1.2.3.$\n",
      1,
      1,
      "unsupported directive $GENERATE",
    ],
    ["$INCLUDE without a reader", "$INCLUDE x\n", 1, 1, "$INCLUDE is not allowed here"],
    [
      "a 64-byte label",
      `${"a".repeat(64)}.x. 1 A 1.2.3.4\n`,
      1,
      1,
      `label longer than 63 bytes in '${"a".repeat(64)}.x.'`,
    ],
    ["an empty label", "a..x. 1 A 1.2.3.4\n", 1, 1, "empty label in 'a..x.'"],
    [
      "a mixed class",
      "$ORIGIN x.\na 1 IN A 1.2.3.4\nb 1 CH A 1.2.3.4\n",
      3,
      1,
      "class differs from the previous record's",
    ],
    ["an unterminated quote", '$ORIGIN x.\na 1 TXT "abc\n', 2, 9, "unterminated quoted string"],
  ])("refuses %s with file:line:column", (_, text, line, column, reason) => {
    let error: unknown;
    try {
      parseZoneText(text, { file: "z.zone" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ZoneSyntaxError);
    expect(error).toMatchObject({ file: "z.zone", line, column, reason });
    expect((error as Error).message).toBe(`z.zone:${line}:${column}: ${reason}`);
  });
});

test("parseTtl", () => {
  expect([parseTtl("0"), parseTtl("1h30m"), parseTtl("1W"), parseTtl("2147483647")]).toEqual([
    0, 5400, 604800, 2147483647,
  ]);
  expect([parseTtl("2147483648"), parseTtl("1x"), parseTtl("h")]).toEqual([
    undefined,
    undefined,
    undefined,
  ]);
});
