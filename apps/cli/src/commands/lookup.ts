// `lookup`: a dig-like DNS query tool (nslookup habits welcome). All DNS logic is in @netkit/dns.
import {
  LOOKUP_DEFAULTS,
  parseServerAddress,
  RecordType,
  reverseQueryName,
  runLookup,
  typeFromName,
} from "@netkit/dns";
import { type Command, parseCount, parseFlags, parsePort, UsageError } from "../cli-kit.ts";

const usage = `Usage: bun run apps/cli lookup NAME [TYPE] [@SERVER[:PORT]] [options]
       bun run apps/cli lookup -x ADDRESS [@SERVER[:PORT]] [options]

Asks a DNS server and prints the reply the way dig does.

Options:
  -t, --type TYPE     record type (default A; PTR with -x); also -type=MX / -query=MX
  -x ADDRESS          reverse lookup of an IPv4/IPv6 address
  @SERVER[:PORT]      server to ask (IP literal; default: /etc/resolv.conf)
  -p, --port PORT     port for servers given without one (default 53)
  --tcp               use TCP only (UDP, then TCP on truncation, by default)
  --tls               DNS over TLS (RFC 7858), as kdig +tls; default port 853; the
                      server's certificate is verified, and a failure is an error
  --ca FILE           PEM of the CA or self-signed certificate to trust (with --tls)
  --short             only the answer data, one per line (as dig +short)
  --json              one JSON object (shape: packages/dns/README.md)
  --explain           say in plain words why the answer looks as it does
  --timeout MS        wait per attempt (default ${LOOKUP_DEFAULTS.timeoutMs})
  --retries N         extra rounds over the servers (default ${LOOKUP_DEFAULTS.retries})

Exit codes: 0 a reply arrived (NXDOMAIN included), 9 no server replied,
1 the reply could not be parsed, 2 usage error.`;

const NSLOOKUP_TYPE = /^-(?:type|query|querytype|qt|q|t)=(.+)$/i;

/** Rewrites argv forms parseArgs cannot read: @server, -type=MX, +short/+tcp, -timeout=N. */
function preprocess(args: string[]): { args: string[]; servers: string[] } {
  const out: string[] = [];
  const servers: string[] = [];
  for (const a of args) {
    const typeMatch = NSLOOKUP_TYPE.exec(a);
    if (a.startsWith("@") && a.length > 1) servers.push(a.slice(1));
    else if (typeMatch) out.push("--type", typeMatch[1] as string);
    else if (/^-(timeout|retry|port)=/.test(a)) {
      const [key, value] = a.slice(1).split("=") as [string, string];
      // nslookup's -timeout is in seconds.
      if (key === "timeout")
        out.push("--timeout", /^\d+$/.test(value) ? String(Number(value) * 1000) : value);
      else out.push(key === "retry" ? "--retries" : "--port", value);
    } else if (a === "+short") out.push("--short");
    else if (a === "+tcp" || a === "+vc") out.push("--tcp");
    else if (a === "+tls") out.push("--tls");
    else if (a === "+json") out.push("--json");
    else out.push(a);
  }
  return { args: out, servers };
}

export const lookup: Command = {
  summary: "query a DNS server and print the reply like dig",
  usage,
  async run(argv) {
    const pre = preprocess(argv);
    const { values, positionals } = parseFlags(
      pre.args,
      {
        type: { type: "string", short: "t" },
        x: { type: "string", short: "x" },
        port: { type: "string", short: "p" },
        tcp: { type: "boolean" },
        tls: { type: "boolean" },
        ca: { type: "string" },
        short: { type: "boolean" },
        json: { type: "boolean" },
        explain: { type: "boolean" },
        timeout: { type: "string" },
        retries: { type: "string" },
      },
      usage,
    );
    if (values.help) {
      console.log(usage);
      return 0;
    }
    const port = parsePort(values.port, values.tls ? 853 : 53, usage);
    if (values.ca !== undefined && !values.tls) throw new UsageError("--ca needs --tls", usage);
    const tls = values.tls
      ? values.ca === undefined
        ? (true as const)
        : { ca: await Bun.file(values.ca).text() }
      : undefined;
    const timeoutMs = parseCount("timeout", values.timeout, LOOKUP_DEFAULTS.timeoutMs, usage);
    if (timeoutMs === 0) throw new UsageError("--timeout must be at least 1 ms", usage);
    const retries = parseCount("retries", values.retries, LOOKUP_DEFAULTS.retries, usage);
    const servers = pre.servers.map((s) => {
      const parsed = parseServerAddress(s, port);
      if (!parsed)
        throw new UsageError(`bad server "@${s}": use an IP address, optionally :PORT`, usage);
      return parsed.address.includes(":")
        ? `[${parsed.address}]:${parsed.port}`
        : `${parsed.address}:${parsed.port}`;
    });
    const rest = [...positionals];
    let name: string | undefined;
    let type: number | undefined;
    if (values.type !== undefined) {
      type = typeFromName(values.type);
      if (type === undefined) throw new UsageError(`unknown record type "${values.type}"`, usage);
    }
    if (values.x !== undefined) {
      try {
        name = reverseQueryName(values.x);
      } catch {
        throw new UsageError(`-x needs an IPv4 or IPv6 address, got "${values.x}"`, usage);
      }
      type ??= RecordType.PTR;
    } else {
      name = rest.shift();
    }
    for (const p of rest) {
      // A second positional is a TYPE (dig) or, as in nslookup, a server address.
      const asType = typeFromName(p);
      const asServer = parseServerAddress(p, port);
      if (asType !== undefined && type === undefined) type = asType;
      else if (asServer)
        servers.push(
          asServer.address.includes(":")
            ? `[${asServer.address}]:${asServer.port}`
            : `${asServer.address}:${asServer.port}`,
        );
      else throw new UsageError(`unexpected argument "${p}"`, usage);
    }
    if (!name) throw new UsageError("missing NAME (or -x ADDRESS)", usage);
    let stdout = "";
    let stderr = "";
    const code = await runLookup(
      {
        name,
        type: type ?? LOOKUP_DEFAULTS.type,
        servers,
        tcp: values.tcp ?? false,
        tls,
        short: values.short ?? false,
        json: values.json ?? false,
        explain: values.explain ?? false,
        timeoutMs,
        retries,
        commandLine: argv.join(" "),
      },
      (t) => {
        stdout += t;
      },
      (t) => {
        stderr += t;
      },
    );
    if (stdout) await Bun.write(Bun.stdout, stdout);
    if (stderr) await Bun.write(Bun.stderr, stderr);
    return code;
  },
};
