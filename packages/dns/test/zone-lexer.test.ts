import { describe, expect, test } from "bun:test";
import { lexZone, unescapeText, ZoneSyntaxError } from "../src/zone/lexer.ts";

const texts = (src: string) => lexZone(src).map((e) => e.tokens.map((t) => t.text));

describe("lexZone", () => {
  test("splits lines into entries and keeps positions", () => {
    const entries = lexZone("a IN A 192.0.2.1\n  TXT x\n");
    expect(entries.map((e) => e.ownerOmitted)).toEqual([false, true]);
    expect(entries[1]?.tokens[0]).toEqual({ text: "TXT", quoted: false, line: 2, column: 3 });
  });

  test("parentheses join lines, comments inside are dropped", () => {
    const src = "@ SOA ns hm. ( 1 ; serial\n 2 ; refresh\n 3 4\n 5 ) ; done\nb A 1.2.3.4\n";
    expect(texts(src)).toEqual([
      ["@", "SOA", "ns", "hm.", "1", "2", "3", "4", "5"],
      ["b", "A", "1.2.3.4"],
    ]);
    expect(lexZone(src)[1]?.line).toBe(5);
  });

  test("a line after a multi-line entry that starts blank keeps the previous owner", () => {
    const entries = lexZone("a ( A\n 1.2.3.4 )\n AAAA ::1\n");
    expect(entries.map((e) => [e.ownerOmitted, e.line])).toEqual([
      [false, 1],
      [true, 3],
    ]);
  });

  test("quoted strings keep blanks, semicolons, parentheses and escapes", () => {
    const [entry] = lexZone('t TXT "a b;c (d)" "q\\"x" plain\\ word\n');
    expect(entry?.tokens.slice(2)).toEqual([
      { text: "a b;c (d)", quoted: true, line: 1, column: 7 },
      { text: 'q\\"x', quoted: true, line: 1, column: 19 },
      { text: "plain\\ word", quoted: false, line: 1, column: 26 },
    ]);
  });

  test("blank and comment-only lines make no entries; CRLF works", () => {
    expect(texts("; hi\n\n   \r\na A 1.2.3.4\r\n")).toEqual([["a", "A", "1.2.3.4"]]);
  });

  test.each([
    ["an unterminated quote", 'a TXT "abc\n', 1, 7, "unterminated quoted string"],
    ["a stray ')'", "a A 1.2.3.4 )\n", 1, 13, "unbalanced ')'"],
    ["an unclosed '('", "a\nb SOA ( 1 2\n 3\n", 2, 7, "'(' not closed"],
    ["nested parentheses", "a ( ( A\n", 1, 5, "nested parenthesis"],
    ["a backslash at end of line", "a TXT x\\\n", 1, 8, "backslash at end of line"],
  ])("rejects %s with its position", (_, src, line, column, reason) => {
    let error: unknown;
    try {
      lexZone(src);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ZoneSyntaxError);
    expect(error).toMatchObject({ line, column, reason });
  });
});

describe("unescapeText", () => {
  test("decodes \\X and \\DDD and UTF-8", () => {
    expect(unescapeText('a\\"b\\065\\\\é')).toEqual(
      Uint8Array.from([97, 34, 98, 65, 92, 0xc3, 0xa9]),
    );
  });
  test("refuses \\256", () => {
    expect(unescapeText("\\256")).toBe("escape \\256 is over 255");
  });
});
