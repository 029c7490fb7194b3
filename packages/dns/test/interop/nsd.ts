// Test harness: a real NSD serving test zones on 127.0.0.1 and a free port, in a temp dir.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createQuery, decodeMessage, encodeMessage } from "../../src/index.ts";

export const NSD = Bun.which("nsd") ?? (Bun.file("/usr/sbin/nsd").size ? "/usr/sbin/nsd" : null);
export const DIG = Bun.which("dig");
export const PYTHON = "/usr/bin/python3";

/** Under CI a missing tool is a failure; locally the tests skip loudly. */
export function requireTool(path: string | null, what: string, pkg: string): boolean {
  if (path) return true;
  if (process.env.CI) throw new Error(`${what} is missing: .ci/run must install ${pkg}`);
  console.warn(`!!! SKIPPING: ${what} not installed (apt-get install ${pkg})`);
  return false;
}

const BIG = Array.from(
  { length: 6 },
  (_, i) => `"${String.fromCharCode(97 + i).repeat(250)}"`,
).join(" ");

export const ZONES: Record<string, string> = {
  "example.test": `$ORIGIN example.test.
$TTL 300
@ 3600 IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 120
@ IN NS ns1
ns1 IN A 192.0.2.53
@ IN A 192.0.2.1
@ IN A 192.0.2.2
@ IN AAAA 2001:db8::1
@ IN MX 10 mail
@ IN MX 20 mail2.example.test.
@ IN TXT "v=spf1 -all" "second string"
@ IN TXT "quote \\" and \\\\ backslash" "tab\\009 and \\195\\169"
@ IN CAA 0 issue "letsencrypt.org"
mail IN A 192.0.2.25
mail2 IN A 192.0.2.26
www IN CNAME web
web IN CNAME @
outside IN CNAME target.elsewhere.invalid.
a-rather-long-owner-name-here IN A 192.0.2.7
_sip._tcp IN SRV 10 60 5060 sip
sip IN A 192.0.2.60
big IN TXT ${BIG}
odd IN TYPE65280 \\# 4 0A000001
esc\\.aped IN A 192.0.2.99
`,
  "2.0.192.in-addr.arpa": `$ORIGIN 2.0.192.in-addr.arpa.
$TTL 300
@ IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 60
@ IN NS ns1.example.test.
1 IN PTR example.test.
25 IN PTR mail.example.test.
`,
};

async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      const u = await Bun.udpSocket({ hostname: "127.0.0.1", port });
      u.close();
      const t = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
      t.stop(true);
      return port;
    } catch {}
  }
  throw new Error("no free port");
}

export interface NsdServer {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export interface NsdOptions {
  /** Extra `server:` lines, indented (e.g. `  rrl-ratelimit: 0\n`). */
  server?: string;
  /** Extra lines for every `zone:` (e.g. `  provide-xfr: 127.0.0.1 NOKEY\n`). */
  zone?: string;
}

/** Starts NSD in the foreground (`-d`) and waits until it answers a query for the SOA. */
export async function startNsd(
  zones: Record<string, string> = ZONES,
  options: NsdOptions = {},
): Promise<NsdServer> {
  if (!NSD) throw new Error("nsd missing");
  const dir = mkdtempSync(join(tmpdir(), "netkit-nsd-"));
  const port = await freePort();
  let conf = `server:
  ip-address: 127.0.0.1
  port: ${port}
  zonesdir: "${dir}"
  database: ""
  zonelistfile: "${dir}/zone.list"
  pidfile: "${dir}/nsd.pid"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  username: ""
  logfile: "${dir}/nsd.log"
  server-count: 1
  verbosity: 1
  chroot: ""
${options.server ?? ""}remote-control:
  control-enable: no
`;
  for (const [name, text] of Object.entries(zones)) {
    writeFileSync(join(dir, `${name}.zone`), text);
    conf += `zone:\n  name: "${name}"\n  zonefile: "${name}.zone"\n${options.zone ?? ""}`;
  }
  writeFileSync(join(dir, "nsd.conf"), conf);
  const proc = Bun.spawn([NSD, "-d", "-c", join(dir, "nsd.conf")], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const stop = async () => {
    proc.kill("SIGTERM");
    const exited = await Promise.race([proc.exited, Bun.sleep(3000).then(() => -1)]);
    if (exited === -1) proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  const first = Object.keys(zones)[0] as string;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) break;
    if (await answers(port, first)) return { port, dir, stop };
    await Bun.sleep(100);
  }
  const log = await Bun.file(join(dir, "nsd.log"))
    .text()
    .catch(() => "");
  await stop();
  throw new Error(`nsd did not start on port ${port}: ${log}`);
}

async function answers(port: number, zone: string): Promise<boolean> {
  const q = createQuery(zone, 6, { id: 4242 });
  let got = false;
  const sock = await Bun.udpSocket({
    binaryType: "uint8array",
    socket: {
      // ICMP port unreachable while NSD is still starting arrives as an async error.
      error() {},
      data(_s, buf) {
        try {
          got = decodeMessage(buf).id === 4242;
        } catch {}
      },
    },
  });
  sock.send(encodeMessage(q), port, "127.0.0.1");
  for (let i = 0; i < 10 && !got; i++) await Bun.sleep(20);
  sock.close();
  return got;
}

/** Runs a program and returns its exit code and output. */
export async function run(cmd: string[], timeoutMs = 20_000) {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}
