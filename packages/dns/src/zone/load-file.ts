// Loading a zone file from disk (node:fs); the parsing itself is the pure parseZone in load.ts.
import { readFileSync } from "node:fs";
import { ZoneSyntaxError } from "./lexer.ts";
import { type LoadZoneOptions, parseZone } from "./load.ts";
import type { Zone } from "./zone.ts";

/** Reads and parses a zone file; `$INCLUDE` paths are taken from the including file's folder. */
export function loadZoneFile(
  path: string,
  options: Omit<LoadZoneOptions, "file" | "readInclude"> = {},
): Zone {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ZoneSyntaxError(`cannot read the zone file: ${(error as Error).message}`, 1, 1, path);
  }
  return parseZone(text, { ...options, file: path, readInclude: (p) => readFileSync(p, "utf8") });
}
