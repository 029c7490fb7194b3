// The text policy every service applies to untrusted text (names, posts, chat lines): which
// characters are refused, why, and how two names are compared. Pure: no I/O, nothing from Bun.

import { describeCodePoint } from "./code-point-names.ts";

/** What is wrong with a text or name; `code` is the contract, `message` is for people. */
export type TextProblemCode =
  /** C0 (U+0000–U+001F, except what the protocol allows), DEL, or C1 (U+0080–U+009F). */
  | "CONTROL"
  /** Bidi embedding, override or isolate (U+202A–U+202E, U+2066–U+2069): reorders what follows. */
  | "BIDI_CONTROL"
  /** A UTF-16 surrogate without its pair (possible from JSON `\ud800`, never from valid UTF-8). */
  | "LONE_SURROGATE"
  /** Names only: a character that prints as nothing (zero-width, fillers, variation selectors…). */
  | "INVISIBLE"
  /** Names only: whitespace (any kind; U+0020 SPACE only where the service allows it). */
  | "WHITESPACE"
  /** Names only: a private-use code point (its glyph depends on the reader's font). */
  | "PRIVATE_USE"
  /** Names only: a code point Unicode has not assigned (no glyph, no normalization yet). */
  | "UNASSIGNED"
  /** The bytes are not valid UTF-8. */
  | "INVALID_UTF8";

/** Why `textProblem`, `nameProblem` or `utf8Problem` refused a text: a code and a message naming the character. */
export interface TextProblem {
  code: TextProblemCode;
  /** E.g. `text contains U+202E RIGHT-TO-LEFT OVERRIDE at 5`. */
  message: string;
  /** 0-based position: in code points for a character, in bytes for INVALID_UTF8. */
  index: number;
  /** The refused code point (for INVALID_UTF8: the first byte that is wrong). */
  codePoint: number;
}

/** How `textProblem` judges a text: which C0 controls the protocol allows in it. */
export interface TextRules {
  /** What the message calls the text ("text", "post", "line"). @default "text" */
  subject?: string;
  /**
   * The C0 controls the protocol itself defines inside a text, e.g. `"\t"` for a chat line or
   * `"\t\n"` for a multi-line post. Every other C0 control is refused. @default "\t"
   */
  allowControls?: string;
}

/** How `nameProblem` judges a name: whether a space is allowed. */
export interface NameRules {
  /** What the message calls the name ("name", "username", "recipient"). @default "name" */
  subject?: string;
  /** Allow U+0020 SPACE (display names like `Ann Lee`); other whitespace stays refused. @default false */
  allowSpace?: boolean;
}

const TAB_ONLY = 1 << 0x09;

/**
 * Why `text` may not be accepted, or undefined when it may: C0 controls (except
 * `rules.allowControls`), DEL, C1 controls, bidi embeddings/overrides/isolates, lone surrogates.
 * Pure printable ASCII costs one comparison per character.
 */
export function textProblem(text: string, rules: TextRules = {}): TextProblem | undefined {
  const allowed = rules.allowControls === undefined ? TAB_ONLY : controlMask(rules.allowControls);
  const at = scanControls(text, allowed);
  return at < 0 ? undefined : problemAt(text, at, rules.subject ?? "text");
}

/**
 * `text` with every character `textProblem` refuses shown as `<U+009B>`: for displaying text
 * that was stored before the policy (or came from a peer that doesn't apply it) on a terminal.
 */
export function showRefused(text: string, rules: TextRules = {}): string {
  const allowed = rules.allowControls === undefined ? TAB_ONLY : controlMask(rules.allowControls);
  let at = scanControls(text, allowed);
  if (at < 0) return text;
  let out = "";
  let from = 0;
  while (at >= 0) {
    const c = text.codePointAt(at) ?? 0;
    out += `${text.slice(from, at)}<U+${c.toString(16).toUpperCase().padStart(4, "0")}>`;
    from = at + 1; // every refused code point is one UTF-16 unit (a lone surrogate included)
    at = scanControls(text, allowed, from);
  }
  return out + text.slice(from);
}

// Names: whitespace (U+0020 handled apart), format characters (Cf: zero-width, joiners, marks,
// U+FEFF, U+00AD, U+180E, U+2060–U+2064), private use, unassigned, and the invisible letters
// and marks Cf misses: the Hangul fillers, the combining grapheme joiner, variation selectors.
const NAME_REFUSED =
  /[\s\p{Z}\p{Cf}\p{Co}\p{Cn}\p{Variation_Selector}\u115f\u1160\u3164\uffa0]|\u034f/gu;
const PRINTABLE_ASCII_WORD = /^[\x21-\x7e]*$/;

/**
 * Why `name` may not be used, or undefined when it may. Everything `textProblem` refuses (with
 * no control allowed, not even TAB), plus whitespace, invisible characters, private-use and
 * unassigned code points, so that what a name shows is all it contains. Compare names with
 * `nameKey`, never as raw strings.
 */
export function nameProblem(name: string, rules: NameRules = {}): TextProblem | undefined {
  const subject = rules.subject ?? "name";
  const at = scanControls(name, 0);
  if (at >= 0) return problemAt(name, at, subject);
  if (PRINTABLE_ASCII_WORD.test(name)) return undefined; // the common case: no regex walk below
  NAME_REFUSED.lastIndex = 0;
  for (let m = NAME_REFUSED.exec(name); m !== null; m = NAME_REFUSED.exec(name)) {
    if (rules.allowSpace && m[0] === " ") continue;
    return problemAt(name, m.index, subject);
  }
  return undefined;
}

/**
 * The key two names are compared by, so that names that look alike are the same name: NFKC
 * (compatibility forms: fullwidth `ａ`, ligatures, superscripts), then a case fold by
 * `toUpperCase().toLowerCase()` (unlike `toLowerCase()` alone it also matches `ß`/`ss` and final
 * `ς`/`σ`, as Unicode full case folding does), then NFKC again since case mapping may undo it.
 * Confusables across scripts (Cyrillic `а` vs Latin `a`) are not folded.
 */
export function nameKey(name: string): string {
  return name.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");
}

/** The INVALID_UTF8 problem for `bytes`, or undefined when they are valid UTF-8. */
export function utf8Problem(bytes: Uint8Array, subject = "text"): TextProblem | undefined {
  const at = invalidUtf8Offset(bytes);
  if (at < 0) return undefined;
  const byte = bytes[at] ?? 0;
  return {
    code: "INVALID_UTF8",
    message: `${subject} is not valid UTF-8 (byte 0x${byte.toString(16).toUpperCase().padStart(2, "0")} at ${at})`,
    index: at,
    codePoint: byte,
  };
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8, refusing invalid input instead of substituting U+FFFD: the text, or the
 * INVALID_UTF8 problem naming the first bad byte. A leading BOM is kept as U+FEFF.
 */
export function decodeUtf8(bytes: Uint8Array, subject = "text"): string | TextProblem {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return (
      utf8Problem(bytes, subject) ?? {
        code: "INVALID_UTF8",
        message: `${subject} is not valid UTF-8`,
        index: 0,
        codePoint: bytes[0] ?? 0,
      }
    );
  }
}

/**
 * Offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates, nothing
 * past U+10FFFF, no truncated sequence), or -1. Only run on the error path: decoding with
 * `fatal: true` is the fast check.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min = 0x80;
    let max = 0xbf; // allowed range of the second byte
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) min = 0xa0; // overlong
      if (b === 0xed) max = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) min = 0x90; // overlong
      if (b === 0xf4) max = 0x8f; // past U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i; // truncated at the end
      const lo = k === 1 ? min : 0x80;
      const hi = k === 1 ? max : 0xbf;
      if (c < lo || c > hi) return i;
    }
    i += need + 1;
  }
  return -1;
}

function controlMask(allowed: string): number {
  let mask = 0;
  for (let i = 0; i < allowed.length; i++) {
    const c = allowed.charCodeAt(i);
    if (c >= 0x20)
      throw new RangeError(`allowControls holds a non-C0 character: U+${c.toString(16)}`);
    mask |= 1 << c;
  }
  return mask;
}

/** Per mask of allowed C0 controls: a regex matching every character scanControls may refuse. */
const suspects = new Map<number, RegExp>();

function suspectPattern(allowedC0: number): RegExp {
  let pattern = suspects.get(allowedC0);
  if (pattern === undefined) {
    let c0 = "";
    for (let c = 0; c < 0x20; c++) {
      if (!((allowedC0 >>> c) & 1)) c0 += `\\x${c.toString(16).padStart(2, "0")}`;
    }
    // Surrogates all count as suspects: only the exact scan tells a valid pair from a lone one.
    pattern = new RegExp(`[${c0}\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff]`, "g");
    suspects.set(allowedC0, pattern);
  }
  return pattern;
}

/** UTF-16 index of the first refused control, bidi control or lone surrogate, or -1. */
function scanControls(text: string, allowedC0: number, from = 0): number {
  // A compiled regex finds the first suspect several times faster than a loop in JS; most texts
  // have none, and the exact scan below starts at the first one.
  const pattern = suspectPattern(allowedC0);
  pattern.lastIndex = from;
  const suspect = pattern.exec(text);
  if (suspect === null) return -1;
  for (let i = suspect.index; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue; // printable ASCII: the fast path
    if (c < 0x20) {
      if ((allowedC0 >>> c) & 1) continue;
      return i;
    }
    if (c <= 0x9f) return i; // DEL and C1
    if (c < 0x202a) continue;
    if (c <= 0x202e || (c >= 0x2066 && c <= 0x2069)) return i;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff)
        i++; // a valid pair
      else return i;
    }
  }
  return -1;
}

/** The problem for the code point at UTF-16 index `at` (which the caller found refused). */
function problemAt(text: string, at: number, subject: string): TextProblem {
  const codePoint = text.codePointAt(at) ?? 0;
  const index = codePointCount(text, at);
  return {
    code: classify(codePoint),
    message: `${subject} contains ${describeCodePoint(codePoint)} at ${index}`,
    index,
    codePoint,
  };
}

function classify(c: number): TextProblemCode {
  if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return "CONTROL";
  if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return "BIDI_CONTROL";
  if (c >= 0xd800 && c <= 0xdfff) return "LONE_SURROGATE";
  const s = String.fromCodePoint(c);
  if (c !== 0xfeff && /[\s\p{Z}]/u.test(s)) return "WHITESPACE"; // JS \s counts U+FEFF; it is Cf

  if (/\p{Co}/u.test(s)) return "PRIVATE_USE";
  if (/\p{Cn}/u.test(s)) return "UNASSIGNED";
  return "INVISIBLE";
}

/** Code points in `text` before UTF-16 index `end` (a surrogate pair counts once). */
function codePointCount(text: string, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff && i + 1 < end) i++;
    }
    n++;
  }
  return n;
}
