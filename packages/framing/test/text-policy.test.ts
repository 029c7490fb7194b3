// The shared text policy with plain calls: each refused class, the messages, the name key, UTF-8.
import { describe, expect, test } from "bun:test";
import { describeCodePoint } from "../src/code-point-names.ts";
import {
  decodeUtf8,
  FramingError,
  LineDecoder,
  nameKey,
  nameProblem,
  showRefused,
  textProblem,
  utf8Problem,
} from "../src/index.ts";
import { invalidUtf8Offset } from "../src/text-policy.ts";
import { hex, utf8 } from "./helpers.ts";

describe("textProblem", () => {
  test("plain text, tabs, emoji, RTL script and LRM/RLM marks pass", () => {
    for (const ok of ["hello, world", "a\tb", "żółw 🐢", "שלום עולם", "a\u200fb", ""]) {
      expect(textProblem(ok)).toBeUndefined();
    }
  });

  test.each([
    ["NUL", "a\u0000", "CONTROL", 1, "U+0000 NULL"],
    ["ESC (the start of every terminal escape)", "x\u001b[2J", "CONTROL", 1, "U+001B ESCAPE"],
    ["CR", "a\rb", "CONTROL", 1, "U+000D CARRIAGE RETURN"],
    ["LF when only TAB is allowed", "a\nb", "CONTROL", 1, "U+000A LINE FEED"],
    ["DEL", "ab\u007f", "CONTROL", 2, "U+007F DELETE"],
    ["C1 CSI (8-bit escape)", "ok \u009b31m", "CONTROL", 3, "U+009B CONTROL SEQUENCE INTRODUCER"],
    ["RLO", "hello\u202egnp.exe", "BIDI_CONTROL", 5, "U+202E RIGHT-TO-LEFT OVERRIDE"],
    ["LRE", "\u202a", "BIDI_CONTROL", 0, "U+202A LEFT-TO-RIGHT EMBEDDING"],
    ["RLI", "a\u2067b", "BIDI_CONTROL", 1, "U+2067 RIGHT-TO-LEFT ISOLATE"],
    ["PDI", "a\u2069", "BIDI_CONTROL", 1, "U+2069 POP DIRECTIONAL ISOLATE"],
    ["a lone surrogate", "a\ud800b", "LONE_SURROGATE", 1, "U+D800 (lone surrogate)"],
  ])("refuses %s with its code point and position", (_, text, code, index, what) => {
    const problem = textProblem(text);
    expect(problem).toEqual({
      code,
      index,
      codePoint: Number.parseInt(what.slice(2, 6), 16),
      message: `text contains ${what} at ${index}`,
    } as never);
  });

  test("the position counts code points, not UTF-16 units", () => {
    expect(textProblem("🐢🐢\u202e")?.message).toBe(
      "text contains U+202E RIGHT-TO-LEFT OVERRIDE at 2",
    );
  });

  test("allowControls lets a protocol keep its own controls; subject names the text", () => {
    expect(textProblem("line 1\nline 2", { allowControls: "\t\n" })).toBeUndefined();
    expect(textProblem("a\tb", { allowControls: "" })?.code).toBe("CONTROL");
    expect(textProblem("a\r\n", { allowControls: "\t\n", subject: "post" })?.message).toBe(
      "post contains U+000D CARRIAGE RETURN at 1",
    );
    expect(() => textProblem("x", { allowControls: "a" })).toThrow(RangeError);
  });
});

describe("nameProblem", () => {
  test("ordinary names pass, in any script", () => {
    for (const ok of ["ann", "Zoë", "Ölçü", "名前", "ann_lee-2", "🐢"]) {
      expect(nameProblem(ok)).toBeUndefined();
    }
  });

  test.each([
    ["a control", "ctl\u0001x", "CONTROL", "U+0001 START OF HEADING at 3"],
    ["TAB", "a\tb", "CONTROL", "U+0009 CHARACTER TABULATION at 1"],
    ["a C1 control", "a\u0085", "CONTROL", "U+0085 NEXT LINE at 1"],
    ["a bidi override", "\u202eann", "BIDI_CONTROL", "U+202E RIGHT-TO-LEFT OVERRIDE at 0"],
    ["a zero-width space", "ad\u200bmin", "INVISIBLE", "U+200B ZERO WIDTH SPACE at 2"],
    ["a zero-width joiner", "a\u200db", "INVISIBLE", "U+200D ZERO WIDTH JOINER at 1"],
    ["a right-to-left mark", "a\u200f", "INVISIBLE", "U+200F RIGHT-TO-LEFT MARK at 1"],
    ["a word joiner", "a\u2060b", "INVISIBLE", "U+2060 WORD JOINER at 1"],
    ["an invisible plus", "a\u2064b", "INVISIBLE", "U+2064 INVISIBLE PLUS at 1"],
    ["a BOM", "\ufeffann", "INVISIBLE", "U+FEFF ZERO WIDTH NO-BREAK SPACE at 0"],
    ["a soft hyphen", "ad\u00admin", "INVISIBLE", "U+00AD SOFT HYPHEN at 2"],
    [
      "a Mongolian vowel separator",
      "a\u180e",
      "INVISIBLE",
      "U+180E MONGOLIAN VOWEL SEPARATOR at 1",
    ],
    ["a Hangul filler", "a\u3164", "INVISIBLE", "U+3164 HANGUL FILLER at 1"],
    ["a variation selector", "a\ufe0f", "INVISIBLE", "U+FE0F VARIATION SELECTOR-16 at 1"],
    ["a space", "ann lee", "WHITESPACE", "U+0020 SPACE at 3"],
    ["a no-break space", "ann\u00a0lee", "WHITESPACE", "U+00A0 NO-BREAK SPACE at 3"],
    ["private use", "a\ue000", "PRIVATE_USE", "U+E000 at 1"],
    ["an unassigned code point", "a\u0378", "UNASSIGNED", "U+0378 at 1"],
  ])("refuses %s", (_, name, code, rest) => {
    const problem = nameProblem(name);
    expect(problem?.code).toBe(code as never);
    expect(problem?.message).toBe(`name contains ${rest}`);
  });

  test("allowSpace admits U+0020 only; subject names the field", () => {
    expect(nameProblem("Ann Lee", { allowSpace: true })).toBeUndefined();
    expect(nameProblem("Ann\u3000Lee", { allowSpace: true, subject: "username" })?.message).toBe(
      "username contains U+3000 IDEOGRAPHIC SPACE at 3",
    );
  });
});

describe("nameKey", () => {
  test("names that look the same get the same key", () => {
    const same: [string, string][] = [
      ["Admin", "admin"],
      ["ＡＤＭＩＮ", "admin"], // fullwidth
      ["ﬁsh", "fish"], // ligature
      ["Ǆ", "dž"], // titlecase digraph
      ["Straße", "STRASSE"],
      ["ΣΑΣ", "σασ"], // final sigma
      ["Zoe\u0308", "zoë"], // combining vs precomposed
      ["x²", "x2"],
    ];
    for (const [a, b] of same) expect(nameKey(a)).toBe(nameKey(b));
  });

  test("different names stay different", () => {
    expect(nameKey("ann")).not.toBe(nameKey("anne"));
    expect(nameKey("zoe")).not.toBe(nameKey("zoë"));
  });
});

describe("UTF-8", () => {
  test.each([
    ["a stray continuation byte", "61 80 62", 1],
    ["an overlong slash", "c0 af", 0],
    ["an overlong 3-byte form", "e0 80 af", 0],
    ["a UTF-8-encoded surrogate", "61 ed a0 80", 1],
    ["a code point past U+10FFFF", "f4 90 80 80", 0],
    ["a sequence cut short at the end", "61 62 e2 82", 2],
    ["a lead byte followed by ASCII", "e2 41 41", 0],
    ["0xFF", "ff", 0],
  ])("refuses %s at its first bad byte", (_, bytes, at) => {
    const input = hex(bytes);
    expect(invalidUtf8Offset(input)).toBe(at);
    const problem = decodeUtf8(input, "post");
    expect(problem).toMatchObject({ code: "INVALID_UTF8", index: at, codePoint: input[at] });
    expect(utf8Problem(input)?.message).toBe(
      `text is not valid UTF-8 (byte 0x${bytes.split(" ")[at]?.toUpperCase()} at ${at})`,
    );
  });

  test("valid UTF-8 decodes as is, BOM and U+FFFD included", () => {
    const text = "\ufeffżółw 🐢 \ufffd \u{10ffff}";
    expect(decodeUtf8(utf8(text))).toBe(text);
    expect(invalidUtf8Offset(utf8(text))).toBe(-1);
  });

  test("LineDecoder with onInvalidUtf8 drops a bad line and reports it in order", () => {
    const seen: [string, number][] = [];
    const decoder = new LineDecoder({
      onInvalidUtf8: (error, index) => {
        expect(error).toBeInstanceOf(FramingError);
        seen.push([error.code, index]);
      },
    });
    const input = new Uint8Array([...utf8("a\n"), 0x62, 0xff, 0x0a, ...utf8("c\nd")]);
    expect(decoder.push(input)).toEqual(["a", "c"]);
    expect(seen).toEqual([["INVALID_UTF8", 1]]);
    // a bad line split across chunks, then a bad last line at the end of the stream
    expect(decoder.push(Uint8Array.of(0xc3))).toEqual([]);
    expect(decoder.push(Uint8Array.of(0x0a, 0xfe))).toEqual([]);
    expect(decoder.finish()).toEqual([]);
    expect(seen).toEqual([
      ["INVALID_UTF8", 1],
      ["INVALID_UTF8", 0],
      ["INVALID_UTF8", 0],
    ]);
  });

  test("LineDecoder without the option still substitutes U+FFFD", () => {
    expect(new LineDecoder().push(Uint8Array.of(0x61, 0xff, 0x0a))).toEqual(["a\ufffd"]);
  });

  test("showRefused makes refused characters visible and leaves the rest alone", () => {
    expect(showRefused("a\u001b[2Jb\u009b\u202e\tok")).toBe("a<U+001B>[2Jb<U+009B><U+202E>\tok");
    expect(showRefused("two\nlines", { allowControls: "\t\n" })).toBe("two\nlines");
    const clean = "żółw 🐢";
    expect(showRefused(clean)).toBe(clean);
  });

  test("describeCodePoint pads and names", () => {
    expect(describeCodePoint(0x1b)).toBe("U+001B ESCAPE");
    expect(describeCodePoint(0x1f600)).toBe("U+1F600");
  });
});
