// Output of the `lookup` tool: dig's text layout, `+short`, a JSON object (RFC 8427-like), --explain.

import type { Message, Question, ResourceRecord } from "../codec/types.ts";
import { className, opcodeName, RecordType, rcodeName, typeName } from "../constants.ts";
import { formatQuestion, formatRdata, formatRecord, toHex } from "../presentation/format.ts";
import type { Interpretation, QueryResult } from "../resolver/resolver.ts";

/** dig's flag list: `qr aa rd ra`, in dig's order. */
export function formatFlags(m: Message): string {
  const flags: string[] = [];
  if (m.isResponse) flags.push("qr");
  if (m.authoritative) flags.push("aa");
  if (m.truncated) flags.push("tc");
  if (m.recursionDesired) flags.push("rd");
  if (m.recursionAvailable) flags.push("ra");
  if (m.authenticData) flags.push("ad");
  if (m.checkingDisabled) flags.push("cd");
  return flags.join(" ");
}

function section(title: string, records: ResourceRecord[]): string[] {
  if (records.length === 0) return [];
  return [`;; ${title} SECTION:`, ...records.map(formatRecord), ""];
}

/** What the dig-style text needs besides the reply. */
export interface DigTextContext {
  /** The command line echoed in the banner. */
  commandLine: string;
  /** `when` in the footer. @default now */
  when?: Date;
}

/** The reply in dig's default layout: header, flags, OPT pseudo-section, sections, footer. */
export function formatDigText(result: QueryResult, ctx: DigTextContext): string {
  const m = result.response;
  const lines: string[] = [];
  if (result.retriedOverTcp) lines.push(";; Truncated, retrying in TCP mode.");
  lines.push("", `; <<>> netkit lookup <<>> ${ctx.commandLine}`, ";; Got answer:");
  lines.push(
    `;; ->>HEADER<<- opcode: ${opcodeName(m.opcode)}, status: ${rcodeName(m.rcode)}, id: ${m.id}`,
  );
  const arcount = m.additionals.length + (m.edns ? 1 : 0);
  lines.push(
    `;; flags: ${formatFlags(m)}; QUERY: ${m.questions.length}, ANSWER: ${m.answers.length}, AUTHORITY: ${m.authorities.length}, ADDITIONAL: ${arcount}`,
  );
  if (result.query.recursionDesired && !m.recursionAvailable) {
    lines.push(";; WARNING: recursion requested but not available");
  }
  lines.push("");
  if (m.edns) {
    lines.push(";; OPT PSEUDOSECTION:");
    lines.push(
      `; EDNS: version: ${m.edns.version}, flags:${m.edns.dnssecOk ? " do" : ""}; udp: ${m.edns.udpPayloadSize}`,
    );
    for (const o of m.edns.options) lines.push(`; OPT=${o.code}: ${toHex(o.data)}`);
  }
  lines.push(";; QUESTION SECTION:", ...m.questions.map(formatQuestion), "");
  lines.push(...section("ANSWER", m.answers));
  lines.push(...section("AUTHORITY", m.authorities));
  lines.push(...section("ADDITIONAL", m.additionals));
  const s = result.server;
  lines.push(`;; Query time: ${Math.round(result.elapsedMs)} msec`);
  lines.push(`;; SERVER: ${s.address}#${s.port}(${s.address}) (${result.transport.toUpperCase()})`);
  lines.push(`;; WHEN: ${digDate(ctx.when ?? new Date())}`);
  lines.push(`;; MSG SIZE  rcvd: ${result.bytes.length}`, "");
  return `${lines.join("\n")}\n`;
}

/** dig's WHEN line, strftime "%a %b %d %H:%M:%S %Z %Y" in UTC: "Sun Nov 01 09:05:07 UTC 2026". */
function digDate(d: Date): string {
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
  ];
  const two = (n: number) => String(n).padStart(2, "0");
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${two(d.getUTCDate())} ${time} UTC ${d.getUTCFullYear()}`;
}

/** `dig +short`: the rdata of every answer record, one per line (nothing for NXDOMAIN/NODATA). */
export function formatShort(m: Message): string {
  return m.answers.map((rr) => `${formatRdata(rr)}\n`).join("");
}

function questionJson(q: Question) {
  return {
    NAME: q.name,
    TYPE: q.type,
    TYPEname: typeName(q.type),
    CLASS: q.class,
    CLASSname: className(q.class),
  };
}

function recordJson(rr: ResourceRecord) {
  return {
    NAME: rr.name,
    TYPE: rr.type,
    TYPEname: typeName(rr.type),
    CLASS: rr.class,
    CLASSname: className(rr.class),
    TTL: rr.ttl,
    rdata: formatRdata(rr),
  };
}

const bit = (b: boolean) => (b ? 1 : 0);

/** The stable JSON object of `lookup --json` (shape documented in the package README). */
export function toLookupJson(result: QueryResult, meaning: Interpretation, explain?: string[]) {
  const m = result.response;
  const out: Record<string, unknown> = {
    ID: m.id,
    QR: bit(m.isResponse),
    Opcode: m.opcode,
    OpcodeName: opcodeName(m.opcode),
    AA: bit(m.authoritative),
    TC: bit(m.truncated),
    RD: bit(m.recursionDesired),
    RA: bit(m.recursionAvailable),
    AD: bit(m.authenticData),
    CD: bit(m.checkingDisabled),
    RCODE: m.rcode,
    RCODEname: rcodeName(m.rcode),
    status: meaning.status,
    QDCOUNT: m.questions.length,
    ANCOUNT: m.answers.length,
    NSCOUNT: m.authorities.length,
    ARCOUNT: m.additionals.length + (m.edns ? 1 : 0),
    questionRRs: m.questions.map(questionJson),
    answerRRs: m.answers.map(recordJson),
    authorityRRs: m.authorities.map(recordJson),
    additionalRRs: m.additionals.map(recordJson),
    EDNS: m.edns
      ? {
          version: m.edns.version,
          udpPayloadSize: m.edns.udpPayloadSize,
          DO: bit(m.edns.dnssecOk),
          options: m.edns.options.map((o) => ({ code: o.code, hex: toHex(o.data) })),
        }
      : null,
    cnameChain: meaning.cnames,
    canonicalName: meaning.canonicalName,
    negativeTtl: meaning.negative?.ttl ?? null,
    server: {
      address: result.server.address,
      port: result.server.port,
      transport: result.transport,
      retriedOverTcp: result.retriedOverTcp,
    },
    queryTimeMs: Math.round(result.elapsedMs * 1000) / 1000,
    messageSize: result.bytes.length,
  };
  if (explain) out.explain = explain;
  return out;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Plain-words account of why the answer looks as it does. */
export function explainAnswer(result: QueryResult, meaning: Interpretation): string[] {
  const m = result.response;
  const q = result.query.questions[0];
  const out: string[] = [];
  const s = `${result.server.address}#${result.server.port}`;
  const qtext = q ? `${q.name} ${typeName(q.type)}` : "(no question)";
  if (result.retriedOverTcp) {
    out.push(
      `The UDP reply from ${s} had the TC (truncated) bit set: the answer did not fit in the UDP payload size, so the same question was asked again over TCP, and this is the TCP reply.`,
    );
  } else {
    out.push(`Asked ${s} over ${result.transport.toUpperCase()} for ${qtext}.`);
  }
  if (result.attempts > 1)
    out.push(`It took ${result.attempts} attempts (earlier ones timed out or failed).`);
  out.push(
    m.authoritative
      ? "The server is authoritative for this name (AA set): the answer comes from its own zone data."
      : "The answer is not authoritative (AA clear): it comes from a cache or a recursive resolver.",
  );
  for (const c of meaning.cnames) {
    out.push(`${c.name} is an alias (CNAME, TTL ${c.ttl}) for ${c.target}; followed it.`);
  }
  const typeText = q ? typeName(q.type) : "?";
  switch (meaning.status) {
    case "NOERROR":
      out.push(
        `${meaning.canonicalName} has ${plural(meaning.records.length, `${typeText} record`)}.`,
      );
      break;
    case "NODATA":
      out.push(
        `NODATA: ${meaning.canonicalName} exists (status NOERROR) but has no ${typeText} records${meaning.cnames.length ? " at the end of the CNAME chain" : ""}.`,
      );
      break;
    case "NXDOMAIN":
      out.push(
        `NXDOMAIN: ${meaning.canonicalName} does not exist${meaning.cnames.length ? " (the CNAME chain ends at a name that does not exist)" : ""}, so there are no records of any type for it.`,
      );
      break;
    default:
      out.push(
        `The server answered ${meaning.status}: it could not or would not answer this question.`,
      );
  }
  if (meaning.negative) {
    const soa = meaning.negative.soa;
    const minimum = (soa.data as { minimum: number }).minimum;
    out.push(
      `The SOA of ${soa.name} in the authority section sets the negative TTL: ${meaning.negative.ttl} s = min(SOA TTL ${soa.ttl}, SOA MINIMUM ${minimum}) (RFC 2308 §5); a cache may remember this ${meaning.status} that long.`,
    );
  } else if (meaning.status === "NODATA" || meaning.status === "NXDOMAIN") {
    out.push(
      "No SOA came in the authority section, so a cache should not remember this negative answer (RFC 2308 §5).",
    );
  }
  if (
    meaning.status === "NODATA" &&
    meaning.cnames.length > 0 &&
    !m.authorities.some((a) => a.type === RecordType.SOA)
  ) {
    out.push(
      `The chain leaves the server's data at ${meaning.canonicalName}; ask a server for that name (or a recursive resolver).`,
    );
  }
  return out;
}
