// Master-file entries -> records (RFC 1035 §5.1, RFC 2308 §4 $TTL): directives, owners, TTLs, classes.
import { classFromName, RecordClass, typeFromName } from "../constants.ts";
import { lexZone, ZoneSyntaxError, type ZoneToken } from "./lexer.ts";
import { splitLabels } from "./name.ts";

/** One record as written, its rdata still in tokens (typed by the presentation parser later). */
export interface ParsedRecord {
  /** Absolute owner name as written (letter case kept), e.g. `WWW.example.com.`. */
  owner: string;
  ttl: number;
  class: number;
  type: number;
  /** The rdata tokens. */
  fields: ZoneToken[];
  /** The origin in force for this record: relative names in the rdata are relative to it. */
  origin: string;
  file: string;
  line: number;
  column: number;
}

export interface ParseZoneOptions {
  /** Initial origin (absolute); `$ORIGIN` replaces it. */
  origin?: string;
  /** Initial default TTL (`$TTL` replaces it). */
  defaultTtl?: number;
  /** File name used in error positions and as the base of a relative `$INCLUDE`. */
  file?: string;
  /** Reads an included file; given the resolved path. Without it, `$INCLUDE` is refused. */
  readInclude?: (path: string) => string;
  /** How deep `$INCLUDE` may nest. @default 8 */
  maxIncludeDepth?: number;
}

/** Largest TTL (RFC 2181 §8: 2^31 - 1). */
const MAX_TTL = 0x7fffffff;
const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `3600`, or BIND's `1h30m` / `1W`; undefined when the text isn't a TTL. */
export function parseTtl(text: string): number | undefined {
  let total = 0;
  if (/^\d+$/.test(text)) total = Number(text);
  else {
    const parts = /^(?:\d+[smhdwSMHDW])+$/.test(text) ? text.match(/\d+[a-zA-Z]/g) : null;
    if (!parts) return undefined;
    for (const p of parts)
      total += Number(p.slice(0, -1)) * (TTL_UNITS[p.slice(-1).toLowerCase()] ?? 0);
  }
  return total <= MAX_TTL ? total : undefined;
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

function joinPath(base: string, path: string): string {
  return path.startsWith("/") ? path : `${base}/${path}`;
}

/**
 * Makes `name` absolute against `origin`. `@` is the origin; a name without a trailing dot is
 * relative. Checks label (63) and name (255 in wire form) lengths.
 */
export function absoluteName(
  name: string,
  origin: string | undefined,
  token: ZoneToken,
  file: string,
): string {
  let result: string;
  if (name === "@") {
    if (origin === undefined)
      throw new ZoneSyntaxError("'@' used before any $ORIGIN", token.line, token.column, file);
    result = origin;
  } else if (name.endsWith(".") && !name.endsWith("\\.")) {
    result = name;
  } else {
    if (origin === undefined) {
      throw new ZoneSyntaxError(
        `relative name '${name}' with no $ORIGIN`,
        token.line,
        token.column,
        file,
      );
    }
    result = origin === "." ? `${name}.` : `${name}.${origin}`;
  }
  if (result !== "." && result.startsWith(".")) {
    throw new ZoneSyntaxError(`empty label in '${name}'`, token.line, token.column, file);
  }
  let wireBytes = 1;
  for (const label of splitLabels(result)) {
    const bytes = labelBytes(label);
    if (bytes === 0)
      throw new ZoneSyntaxError(`empty label in '${name}'`, token.line, token.column, file);
    if (bytes > 63)
      throw new ZoneSyntaxError(
        `label longer than 63 bytes in '${name}'`,
        token.line,
        token.column,
        file,
      );
    wireBytes += bytes + 1;
  }
  if (wireBytes > 255)
    throw new ZoneSyntaxError(
      `name longer than 255 bytes: '${name}'`,
      token.line,
      token.column,
      file,
    );
  return result;
}

function labelBytes(label: string): number {
  let n = 0;
  for (let i = 0; i < label.length; i++) {
    if (label[i] === "\\") i += /^\d{3}/.test(label.slice(i + 1, i + 4)) ? 3 : 1;
    n++;
  }
  return n;
}

/** Parses a master file into records; throws ZoneSyntaxError with file:line:column. */
export function parseZoneText(text: string, options: ParseZoneOptions = {}): ParsedRecord[] {
  const out: ParsedRecord[] = [];
  parseInto(out, text, options.file ?? "", options, 0, {
    origin: options.origin === undefined ? undefined : ensureDot(options.origin),
    defaultTtl: options.defaultTtl,
  });
  return out;
}

function ensureDot(name: string): string {
  return name.endsWith(".") ? name : `${name}.`;
}

interface State {
  origin: string | undefined;
  defaultTtl: number | undefined;
  lastTtl?: number;
  lastOwner?: string;
  lastClass?: number;
}

function parseInto(
  out: ParsedRecord[],
  text: string,
  file: string,
  options: ParseZoneOptions,
  depth: number,
  state: State,
): void {
  let entries: ReturnType<typeof lexZone>;
  try {
    entries = lexZone(text);
  } catch (error) {
    if (error instanceof ZoneSyntaxError)
      throw new ZoneSyntaxError(error.reason, error.line, error.column, file);
    throw error;
  }
  const fail = (reason: string, token: ZoneToken): never => {
    throw new ZoneSyntaxError(reason, token.line, token.column, file);
  };
  for (const entry of entries) {
    const tokens = entry.tokens;
    const first = tokens[0] as ZoneToken;
    if (!entry.ownerOmitted && !first.quoted && first.text.startsWith("$")) {
      const directive = first.text.toUpperCase();
      const arg = tokens[1];
      if (directive === "$ORIGIN") {
        if (!arg || tokens.length > 2) fail("$ORIGIN takes one name", first);
        const a = arg as ZoneToken;
        state.origin = absoluteName(a.text, state.origin, a, file);
      } else if (directive === "$TTL") {
        if (!arg || tokens.length > 2) fail("$TTL takes one TTL", first);
        const ttl = parseTtl((arg as ZoneToken).text);
        if (ttl === undefined) fail(`bad TTL '${(arg as ZoneToken).text}'`, arg as ZoneToken);
        state.defaultTtl = ttl;
      } else if (directive === "$INCLUDE") {
        if (!arg || tokens.length > 3)
          fail("$INCLUDE takes a file name and an optional origin", first);
        const a = arg as ZoneToken;
        if (!options.readInclude) fail("$INCLUDE is not allowed here", first);
        if (depth + 1 > (options.maxIncludeDepth ?? 8)) fail("$INCLUDE nested too deep", first);
        const path = joinPath(dirname(file || "."), a.text);
        let included = "";
        try {
          included = (options.readInclude as (p: string) => string)(path);
        } catch (error) {
          fail(`cannot read $INCLUDE file '${path}': ${(error as Error).message}`, a);
        }
        const originToken = tokens[2];
        // The included file gets its own origin; ours is back in force after it (RFC 1035 §5.1).
        const inner: State = {
          ...state,
          origin: originToken
            ? absoluteName(originToken.text, state.origin, originToken, file)
            : state.origin,
        };
        parseInto(out, included, path, options, depth + 1, inner);
        state.defaultTtl = inner.defaultTtl;
        state.lastTtl = inner.lastTtl;
        state.lastClass = inner.lastClass;
      } else {
        fail(`unsupported directive ${first.text}`, first);
      }
      continue;
    }

    let i = 0;
    let owner: string;
    if (entry.ownerOmitted) {
      if (state.lastOwner === undefined) fail("no owner name, and no previous record", first);
      owner = state.lastOwner as string;
    } else {
      owner = absoluteName(first.text, state.origin, first, file);
      i = 1;
    }
    let ttl: number | undefined;
    let cls: number | undefined;
    let type: number | undefined;
    // [TTL] [class] type, or [class] [TTL] type (RFC 1035 §5.1).
    for (let k = 0; k < 3 && type === undefined; k++) {
      const t = tokens[i];
      if (!t) fail("missing record type", tokens[i - 1] ?? first);
      const word = (t as ZoneToken).text;
      const asTtl = ttl === undefined && /^\d/.test(word) ? parseTtl(word) : undefined;
      if (/^\d/.test(word) && ttl === undefined) {
        if (asTtl === undefined) fail(`bad TTL '${word}'`, t as ZoneToken);
        ttl = asTtl;
      } else if (
        cls === undefined &&
        classFromName(word) !== undefined &&
        typeFromName(word) === undefined
      ) {
        cls = classFromName(word);
      } else {
        type = typeFromName(word);
        if (type === undefined) fail(`unknown record type '${word}'`, t as ZoneToken);
      }
      i++;
    }
    if (type === undefined) fail("missing record type", tokens[i - 1] ?? first);
    if (ttl === undefined) ttl = state.defaultTtl ?? state.lastTtl;
    else state.lastTtl = ttl;
    if (ttl === undefined) fail("no TTL, and no $TTL or previous TTL", first);
    cls = cls ?? state.lastClass ?? RecordClass.IN;
    if (state.lastClass !== undefined && cls !== state.lastClass)
      fail("class differs from the previous record's", first);
    state.lastClass = cls;
    state.lastOwner = owner;
    out.push({
      owner,
      ttl: ttl as number,
      class: cls,
      type: type as number,
      fields: tokens.slice(i),
      origin: state.origin ?? ".",
      file,
      line: first.line,
      column: first.column,
    });
  }
}
