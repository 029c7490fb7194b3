// Loading zones: master-file text -> Zone, with the records' rdata typed by the presentation parser.
// Pure (no file system, nothing from Bun): loadZoneFile in load-file.ts reads files from disk.
import type { ResourceRecord } from "../codec/types.ts";
import { DnsError } from "../errors.ts";
import { parseRdata } from "../presentation/parse.ts";
import { ZoneSyntaxError } from "./lexer.ts";
import { type ParseZoneOptions, parseZoneText } from "./parse.ts";
import { buildZone, type RecordSource, type Zone } from "./zone.ts";

/** Options of `parseZone`. */
export interface LoadZoneOptions {
  /** The zone's origin; by default the file's SOA owner (and `$ORIGIN` sets the origin for names). */
  origin?: string;
  /** Name used in error positions; for files, the path. */
  file?: string;
  /** Reads `$INCLUDE`d files (loadZoneFile reads from disk). Without it `$INCLUDE` is refused. */
  readInclude?: ParseZoneOptions["readInclude"];
}

/**
 * Parses master-file text into a zone. Throws ZoneSyntaxError (a DnsError, code
 * BAD_PRESENTATION) whose message starts with `file:line:column:`.
 */
export function parseZone(text: string, options: LoadZoneOptions = {}): Zone {
  const file = options.file ?? "";
  const parsed = parseZoneText(text, {
    origin: options.origin,
    file,
    readInclude: options.readInclude,
  });
  const records: ResourceRecord[] = [];
  const sources: RecordSource[] = [];
  for (const p of parsed) {
    const at = p.fields[0] ?? p;
    let data: ResourceRecord["data"];
    try {
      data = parseRdata(p.type, p.fields, p.origin);
    } catch (error) {
      if (error instanceof DnsError)
        throw new ZoneSyntaxError(error.message, at.line, at.column, p.file);
      throw error;
    }
    records.push({
      name: p.owner,
      type: p.type,
      class: p.class,
      ttl: p.ttl,
      data,
    } as ResourceRecord);
    sources.push({ file: p.file, line: p.line, column: p.column });
  }
  if (records.length === 0) throw new ZoneSyntaxError("the zone file has no records", 1, 1, file);
  return buildZone(records, sources, options.origin);
}

/** The zone served when none is given: `netkit.test.` with the BBS, chat, web and DNS hosts on loopback. */
export const DEFAULT_ZONE_TEXT = `; netkit.test: the embedded default zone of \`dns serve\` and \`up\`.
$ORIGIN netkit.test.
$TTL 300
@       IN SOA  dns.netkit.test. hostmaster.netkit.test. (
                1          ; serial
                3600       ; refresh
                900        ; retry
                604800     ; expire
                300 )      ; negative-answer TTL
        IN NS   dns
dns     IN A    127.0.0.1
bbs     IN A    127.0.0.1
chat    IN A    127.0.0.1
web     IN A    127.0.0.1
`;

/** The embedded default zone, parsed. */
export function defaultZone(): Zone {
  return parseZone(DEFAULT_ZONE_TEXT, { file: "<default netkit.test>" });
}
