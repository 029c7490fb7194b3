// The one-file CLI (`bun run build`): compiled, copied alone into an empty folder and run there
// with no Bun and no node_modules on the PATH: --help, `up` serving echo, DNS and the web chat
// page, then Ctrl-C.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileCli } from "../scripts/compile.ts";

let root = "";
/** The folder the binary runs in: nothing but the binary (and the data/ that `up` makes). */
let folder = "";
let netkit = "";
/** The binary's whole environment: PATH is an empty folder (no bun, node or node_modules/.bin). */
let env: Record<string, string> = {};
let compileMs = 0;

// A loopback address of its own (all of 127/8 is loopback on Linux), so the default ports `up`
// takes can't collide with cli.test.ts's `up` or a developer's on 127.0.0.1.
const octet = () => 1 + Math.floor(Math.random() * 250);
const host = process.platform === "linux" ? `127.${octet()}.${octet()}.${octet()}` : "127.0.0.1";

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "netkit-compiled-"));
  const started = performance.now();
  const built = await compileCli(join(root, "build", "netkit"));
  compileMs = performance.now() - started;
  folder = join(root, "empty");
  const emptyPath = join(root, "path");
  await Promise.all([mkdir(folder), mkdir(emptyPath)]);
  netkit = join(folder, "netkit");
  await copyFile(built, netkit);
  await chmod(netkit, 0o755);
  env = { PATH: emptyPath, HOME: folder, TMPDIR: root };
}, 30_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

function run(args: string[]) {
  return Bun.spawn([netkit, ...args], { cwd: folder, env, stdout: "pipe", stderr: "pipe" });
}

/** Reads stdout until `marker` shows up (or the stream ends, or the deadline passes). */
async function readUntil(stream: ReadableStream<Uint8Array>, marker: string, timeoutMs: number) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (!text.includes(marker) && Date.now() < deadline) {
    const next = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now())]);
    if (!next || next.done) break;
    text += decoder.decode(next.value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

/** Sends one line to a line service and returns its first reply line. */
async function exchangeLine(port: number, line: string): Promise<string> {
  const { promise, resolve, reject } = Promise.withResolvers<string>();
  let text = "";
  const socket = await Bun.connect({
    hostname: host,
    port,
    socket: {
      data(_, chunk) {
        text += chunk.toString();
        if (text.includes("\n")) resolve(text);
      },
      close: () => resolve(text),
      error: (_, error) => reject(error),
    },
  });
  socket.write(`${line}\n`);
  const reply = await Promise.race([promise, Bun.sleep(5000).then(() => "(no reply in 5 s)")]);
  socket.end();
  return reply;
}

describe("the compiled CLI, alone in an empty folder", () => {
  test("the test's PATH really has no bun and no node_modules", () => {
    expect(Bun.which("bun", { PATH: env.PATH })).toBeNull();
    expect(Bun.which("node", { PATH: env.PATH })).toBeNull();
    expect(env.PATH).not.toContain("node_modules");
    console.log(
      `compiled ${netkit} in ${compileMs.toFixed(0)} ms (${Bun.file(netkit).size} bytes)`,
    );
  });

  test("--help prints the usage under the file's own name, exit 0", async () => {
    const proc = run(["--help"]);
    const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(code).toBe(0);
    expect(stdout).toStartWith("Usage: netkit <command> [options]");
    expect(stdout).toContain("  up ");
  });

  test("up serves echo, DNS and the web chat page, then Ctrl-C stops it with exit 0", async () => {
    const started = performance.now();
    const proc = run(["up", "--host", host, "--log-level", "warn"]);
    const stderr = new Response(proc.stderr).text();
    try {
      const out = await readUntil(proc.stdout, "Press Ctrl-C to stop.", 15_000);
      expect(out).toContain("Press Ctrl-C to stop.");
      console.log(
        `up was listening ${(performance.now() - started).toFixed(0)} ms after the spawn`,
      );
      // The ports as the table prints them: `echo  tcp  127.x.y.z:5001`.
      const portOf = (service: string) => {
        const row = out.split("\n").find((l) => l.split(/\s+/)[0] === service);
        return Number(row?.split(":").at(-1));
      };

      expect(await exchangeLine(portOf("echo"), "hello straße")).toBe("HELLO STRASSE\n");

      const lookup = run(["lookup", "netkit.test", "SOA", `@${host}:${portOf("dns")}`, "--short"]);
      const [soa, lookupCode] = await Promise.all([
        new Response(lookup.stdout).text(),
        lookup.exited,
      ]);
      expect(lookupCode).toBe(0);
      expect(soa).toStartWith("dns.netkit.test. hostmaster.netkit.test. ");

      // The page, its script and its styles come from inside the binary (there is no page/ here).
      const web = `http://${host}:${portOf("httpchat")}`;
      const page = await fetch(`${web}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toStartWith("text/html");
      expect(await page.text()).toContain('<script type="module" src="/app.js">');
      const script = await fetch(`${web}/app.js`);
      expect(script.status).toBe(200);
      expect((await script.text()).length).toBeGreaterThan(100);
      expect((await fetch(`${web}/styles.css`)).status).toBe(200);
    } finally {
      proc.kill("SIGINT");
    }
    expect(await proc.exited).toBe(0);
    const log = await stderr;
    expect(log).toContain("SIGINT: stopping");
    expect(log).not.toContain(" error ");
    // Embedded storage went where `up` was run: the folder now holds the binary and data/.
    expect((await readdir(folder)).sort()).toEqual(["data", "netkit"]);
  }, 30_000);
});
