// Master-file lexer (RFC 1035 §5.1): text -> logical entries of tokens, each with line and column.
import { DnsError } from "../errors.ts";

/** One token of a master file. `text` keeps backslash escapes as written (names need them raw). */
export interface ZoneToken {
  text: string;
  /** The token was a "quoted string"; `text` is what stood between the quotes. */
  quoted: boolean;
  /** 1-based. */
  line: number;
  /** 1-based, in characters. */
  column: number;
}

/** One logical entry: a line, or several lines joined by parentheses. */
export interface ZoneEntry {
  tokens: ZoneToken[];
  /** The entry's first line began with a blank: the owner is the previous one (§5.1). */
  ownerOmitted: boolean;
  line: number;
}

/** A master file that doesn't parse: a DnsError (code BAD_PRESENTATION) that knows where. */
export class ZoneSyntaxError extends DnsError {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    readonly file = "",
  ) {
    super("BAD_PRESENTATION", `${file ? `${file}:` : ""}${line}:${column}: ${reason}`);
  }
}

function isBlank(c: string): boolean {
  return c === " " || c === "\t" || c === "\r";
}

/**
 * Splits a master file into entries. Parentheses join lines (no nesting, as in BIND and NSD),
 * `;` starts a comment up to the end of the line (outside quotes), a quoted string may hold
 * blanks, `;`, parentheses and escaped quotes, and may not span a line.
 */
export function lexZone(text: string): ZoneEntry[] {
  const entries: ZoneEntry[] = [];
  let tokens: ZoneToken[] = [];
  let ownerOmitted = false;
  let entryLine = 1;
  let line = 1;
  let lineStart = 0;
  let openParen: { line: number; column: number } | null = null;
  let atLineStart = true;
  let i = 0;
  const n = text.length;
  const col = (at: number) => at - lineStart + 1;
  const endEntry = () => {
    if (tokens.length > 0) entries.push({ tokens, ownerOmitted, line: entryLine });
    tokens = [];
  };

  while (i < n) {
    const c = text[i] as string;
    if (atLineStart && openParen === null) {
      // A new entry starts here: remember whether its owner field is blank.
      atLineStart = false;
      ownerOmitted = isBlank(c);
      entryLine = line;
    }
    if (c === "\n") {
      i++;
      line++;
      lineStart = i;
      if (openParen === null) {
        endEntry();
        atLineStart = true;
      }
      continue;
    }
    if (isBlank(c)) {
      i++;
      continue;
    }
    if (c === ";") {
      while (i < n && text[i] !== "\n") i++;
      continue;
    }
    if (c === "(") {
      if (openParen !== null) throw new ZoneSyntaxError("nested parenthesis", line, col(i));
      openParen = { line, column: col(i) };
      i++;
      continue;
    }
    if (c === ")") {
      if (openParen === null) throw new ZoneSyntaxError("unbalanced ')'", line, col(i));
      openParen = null;
      i++;
      continue;
    }
    const startColumn = col(i);
    if (c === '"') {
      let j = i + 1;
      let value = "";
      for (;;) {
        if (j >= n || text[j] === "\n") {
          throw new ZoneSyntaxError("unterminated quoted string", line, startColumn);
        }
        const d = text[j] as string;
        if (d === "\\") {
          if (j + 1 >= n || text[j + 1] === "\n") {
            throw new ZoneSyntaxError("backslash at end of line", line, col(j));
          }
          value += d + text[j + 1];
          j += 2;
          continue;
        }
        if (d === '"') break;
        value += d;
        j++;
      }
      tokens.push({ text: value, quoted: true, line, column: startColumn });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < n) {
      const d = text[j] as string;
      if (isBlank(d) || d === "\n" || d === ";" || d === "(" || d === ")" || d === '"') break;
      if (d === "\\") {
        if (j + 1 >= n || text[j + 1] === "\n") {
          throw new ZoneSyntaxError("backslash at end of line", line, col(j));
        }
        j += 2;
        continue;
      }
      j++;
    }
    tokens.push({ text: text.slice(i, j), quoted: false, line, column: startColumn });
    i = j;
  }
  if (openParen !== null) {
    throw new ZoneSyntaxError("'(' not closed", openParen.line, openParen.column);
  }
  endEntry();
  return entries;
}

/** Decodes the escapes of a character-string (§5.1: `\X` is X, `\DDD` is the byte DDD). */
export function unescapeText(text: string): Uint8Array | string {
  const out: number[] = [];
  const utf8 = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== "\\") {
      const code = text.codePointAt(i) ?? 0;
      const char = String.fromCodePoint(code);
      for (const b of utf8.encode(char)) out.push(b);
      i += char.length - 1;
      continue;
    }
    const digits = text.slice(i + 1, i + 4);
    if (/^\d{3}$/.test(digits)) {
      const value = Number(digits);
      if (value > 255) return `escape \\${digits} is over 255`;
      out.push(value);
      i += 3;
    } else if (i + 1 < text.length) {
      for (const b of utf8.encode(text[i + 1] as string)) out.push(b);
      i += 1;
    } else {
      return "backslash at end of text";
    }
  }
  return Uint8Array.from(out);
}
