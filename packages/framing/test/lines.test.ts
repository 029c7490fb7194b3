import { describe, expect, test } from "bun:test";
import { encodeLine, type FramingError, LineDecoder } from "../src/index.ts";
import { concat, prng, randomSplit, utf8 } from "./helpers.ts";

describe("LineDecoder", () => {
  test("splits on LF and strips a CR before it", () => {
    expect(new LineDecoder().push(utf8("a\nb\r\n\r\nc\n"))).toEqual(["a", "b", "", "c"]);
  });

  test("a CR alone is kept inside the line", () => {
    expect(new LineDecoder().push(utf8("a\rb\n"))).toEqual(["a\rb"]);
  });

  test("a UTF-8 character split across chunks decodes correctly", () => {
    const bytes = utf8("żółw 🐢\n");
    for (let i = 0; i <= bytes.length; i++) {
      const decoder = new LineDecoder();
      const lines = [...decoder.push(bytes.subarray(0, i)), ...decoder.push(bytes.subarray(i))];
      expect(lines).toEqual(["żółw 🐢"]);
    }
  });

  test("a CRLF split between chunks is one line ending", () => {
    const decoder = new LineDecoder();
    expect([...decoder.push(utf8("abc\r")), ...decoder.push(utf8("\nd\n"))]).toEqual(["abc", "d"]);
  });

  test("finish() returns a last line without newline", () => {
    const decoder = new LineDecoder();
    expect(decoder.push(utf8("one\ntwo"))).toEqual(["one"]);
    expect(decoder.finish()).toEqual(["two"]);
    expect(decoder.finish()).toEqual([]);
  });

  test("property: random lines under random chunking round-trip", () => {
    const seed = Date.now() >>> 0;
    const random = prng(seed);
    const alphabet = ["a", "Z", " ", "é", "€", "🐢", "\t", "\r"];
    for (let round = 0; round < 300; round++) {
      const lines = Array.from({ length: Math.floor(random() * 15) }, () =>
        Array.from(
          { length: Math.floor(random() * 30) },
          () => alphabet[Math.floor(random() * alphabet.length)],
        )
          .join("")
          .replace(/\r+$/, ""),
      );
      const decoder = new LineDecoder();
      const pieces = randomSplit(concat(lines.map(encodeLine)), random, 20);
      const got = pieces.flatMap((p) => decoder.push(p));
      if (got.length !== lines.length) throw new Error(`seed ${seed} round ${round}`);
      expect(got).toEqual(lines);
    }
  });

  test("an over-long line throws LINE_TOO_LONG before its LF arrives", () => {
    const decoder = new LineDecoder({ maxLineBytes: 8 });
    expect(() => decoder.push(utf8("0123456789"))).toThrow(
      expect.objectContaining({ code: "LINE_TOO_LONG", limit: 8 }),
    );
  });

  test("a line of exactly the limit passes, with or without CR", () => {
    const decoder = new LineDecoder({ maxLineBytes: 4 });
    expect(decoder.push(utf8("abcd\nabcd\r\n"))).toEqual(["abcd", "abcd"]);
    expect([
      ...decoder.push(utf8("ab")),
      ...decoder.push(utf8("cd\r")),
      ...decoder.push(utf8("\n")),
    ]).toEqual(["abcd"]);
  });

  test("with onOversize the long line is dropped and decoding carries on", () => {
    const errors: FramingError[] = [];
    const decoder = new LineDecoder({ maxLineBytes: 4, onOversize: (e) => errors.push(e) });
    const got = [
      ...decoder.push(utf8("ok\n0123456")),
      ...decoder.push(utf8("789\nfine\n")),
      ...decoder.push(utf8("toolong\nx\n")),
    ];
    expect(got).toEqual(["ok", "fine", "x"]);
    expect(errors.map((e) => e.code)).toEqual(["LINE_TOO_LONG", "LINE_TOO_LONG"]);
  });

  test("lines before an over-long one in the same chunk are not lost", () => {
    const decoder = new LineDecoder({ maxLineBytes: 3 });
    expect(decoder.push(utf8("a\nb\ntoolong\n"))).toEqual(["a", "b"]);
    expect(decoder.failure?.code).toBe("LINE_TOO_LONG");
  });

  test("memory stays bounded for an endless line", () => {
    const decoder = new LineDecoder({ maxLineBytes: 1000, onOversize: () => {} });
    for (let i = 0; i < 1000; i++) decoder.push(new Uint8Array(1000).fill(0x61));
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(1000);
    expect(decoder.push(utf8("\nnext\n"))).toEqual(["next"]);
  });
});
