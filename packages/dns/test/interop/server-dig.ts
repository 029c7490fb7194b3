// Runs dig / kdig and reads their output into rcode, flags and record sets, for the server interop tests.
import { run } from "./nsd.ts";

export const KDIG = Bun.which("kdig");

export interface DigResult {
  status: string;
  flags: Set<string>;
  /** Each section as sorted `name ttl class type rdata` lines, names lower-cased, blanks collapsed. */
  answer: string[];
  authority: string[];
  additional: string[];
  edns: boolean;
  raw: string;
}

export function parseDig(output: string): DigResult {
  const status = /status: ([A-Z0-9]+)/i.exec(output)?.[1] ?? "NONE";
  const flagText = /;; flags: ([a-z ]*)[;:]/i.exec(output)?.[1] ?? "";
  const sections: Record<string, string[]> = { ANSWER: [], AUTHORITY: [], ADDITIONAL: [] };
  let current: string[] | null = null;
  for (const line of output.split("\n")) {
    const head = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (head) {
      current = sections[head[1] as string] as string[];
      continue;
    }
    if (line.trim() === "" || line.startsWith(";")) {
      if (line.trim() === "" || line.startsWith(";;")) current = null;
      continue;
    }
    if (current) {
      const [name, ...rest] = line.trim().split(/\s+/);
      current.push([name?.toLowerCase(), ...rest].join(" "));
    }
  }
  return {
    status,
    flags: new Set(flagText.trim().toLowerCase().split(/\s+/).filter(Boolean)),
    answer: (sections.ANSWER as string[]).sort(),
    authority: (sections.AUTHORITY as string[]).sort(),
    additional: (sections.ADDITIONAL as string[]).sort(),
    edns: /OPT PSEUDOSECTION|EDNS PSEUDOSECTION|EDNS: version/i.test(output),
    raw: output,
  };
}

export interface DigOptions {
  tcp?: boolean;
  edns?: boolean;
  /** EDNS UDP size to advertise. */
  bufsize?: number;
  /** Don't retry over TCP on TC. */
  ignoreTc?: boolean;
  tool?: "dig" | "kdig";
}

/** One query with dig (or kdig) at 127.0.0.1:port, no recursion asked. */
export async function dig(
  port: number,
  name: string,
  type: string,
  o: DigOptions = {},
): Promise<DigResult> {
  const tool = o.tool ?? "dig";
  const cmd =
    tool === "dig"
      ? [
          "dig",
          `@127.0.0.1`,
          "-p",
          String(port),
          name,
          type,
          "+norec",
          "+tries=1",
          "+time=2",
          o.tcp ? "+tcp" : "+notcp",
          o.edns === false ? "+noedns" : `+edns=0`,
          ...(o.bufsize ? [`+bufsize=${o.bufsize}`] : []),
          ...(o.ignoreTc ? ["+ignore"] : []),
          "+nocookie",
        ]
      : [
          KDIG as string,
          `@127.0.0.1`,
          "-p",
          String(port),
          name,
          type,
          "+norec",
          "+retry=0",
          "+time=2",
          o.tcp ? "+tcp" : "+notcp",
          o.edns === false ? "+noedns" : "+edns=0",
          ...(o.bufsize ? [`+bufsize=${o.bufsize}`] : []),
          ...(o.ignoreTc ? ["+ignore"] : []),
          "+nocookie",
        ];
  const r = await run(cmd, 10_000);
  return parseDig(r.stdout);
}
