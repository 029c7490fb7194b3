// TLS from the command line: every server with --tls-cert/--tls-key, real clients, reload; up --tls.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certificateSubject } from "@netkit/testkit";

const main = join(import.meta.dir, "../src/main.ts");
const dir = mkdtempSync(join(tmpdir(), "netkit-cli-tls-"));
const file = (name: string) => join(dir, name);

async function makeCert(name: string, cn: string): Promise<void> {
  await Bun.$`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=${cn} -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ${file(`${name}.key`)} -out ${file(`${name}.crt`)} -days 2`.quiet();
}

/** Starts a server command with --print-port; resolves with the process and its two ports. */
async function startServer(args: string[]) {
  const proc = Bun.spawn(["bun", main, ...args, "--port", "0", "--tls-port", "0", "--print-port"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = proc.stdout.getReader();
  let out = "";
  while (out.split("\n").length < 3) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`exited early: ${await new Response(proc.stderr).text()}`);
    out += new TextDecoder().decode(value);
  }
  const [port, tlsPort] = out.trim().split("\n").map(Number);
  return { proc, port: port!, tlsPort: tlsPort! };
}

const subject = (port: number) => certificateSubject(port);

beforeAll(async () => {
  await makeCert("a", "first");
  await makeCert("b", "second");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TLS on the command line", () => {
  test("chat serves TLS beside plain; chat connect --tls --ca joins; SIGHUP reloads the certificate", async () => {
    await Bun.$`cp ${file("a.crt")} ${file("live.crt")} && cp ${file("a.key")} ${file("live.key")}`;
    const { proc, tlsPort } = await startServer([
      "chat",
      "--tls-cert",
      file("live.crt"),
      "--tls-key",
      file("live.key"),
    ]);
    try {
      const joined =
        await Bun.$`printf 'hello\n' | bun ${main} chat connect 127.0.0.1:${tlsPort} --tls --ca ${file("live.crt")} --name tina`
          .nothrow()
          .quiet();
      expect(joined.exitCode).toBe(0);
      expect(joined.stdout.toString()).toContain("Welcome, tina!");

      const untrusted =
        await Bun.$`printf 'hello\n' | bun ${main} chat connect 127.0.0.1:${tlsPort} --tls --name eve`
          .nothrow()
          .quiet();
      expect(untrusted.exitCode).toBe(1);
      expect(untrusted.stderr.toString()).toContain("failed verification");

      expect(await subject(tlsPort)).toContain("CN = first");
      await Bun.$`cp ${file("b.crt")} ${file("live.crt")} && cp ${file("b.key")} ${file("live.key")}`;
      proc.kill("SIGHUP");
      let seen = "";
      for (let i = 0; i < 40 && !seen.includes("CN = second"); i++) {
        await Bun.sleep(100);
        seen = await subject(tlsPort);
      }
      expect(seen).toContain("CN = second");
    } finally {
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(0);
    }
  }, 30_000);

  test("echo over TLS answers openssl s_client; a mismatched key refuses start-up clearly", async () => {
    const { proc, tlsPort } = await startServer([
      "echo",
      "--upper",
      "--tls-cert",
      file("a.crt"),
      "--tls-key",
      file("a.key"),
    ]);
    const client = Bun.spawn(
      [
        "openssl",
        "s_client",
        "-quiet",
        "-connect",
        `127.0.0.1:${tlsPort}`,
        "-CAfile",
        file("a.crt"),
      ],
      { stdin: "pipe", stdout: "pipe", stderr: "ignore" },
    );
    client.stdin.write("over tls\n");
    await client.stdin.flush();
    const reader = client.stdout.getReader();
    let out = "";
    while (!out.includes("OVER TLS")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    client.kill();
    expect(out).toContain("OVER TLS");
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(0);

    const bad =
      await Bun.$`bun ${main} echo --port 0 --tls-cert ${file("a.crt")} --tls-key ${file("b.key")}`
        .nothrow()
        .quiet();
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr.toString()).toContain("the key does not belong to the certificate");
  }, 30_000);

  test("bbs serves TLS beside plain; bbs connect --tls --ca posts and lists; an unverifiable server gets nothing", async () => {
    const { proc, port, tlsPort } = await startServer([
      "bbs",
      "--db",
      ":memory:",
      "--tls-cert",
      file("a.crt"),
      "--tls-key",
      file("a.key"),
    ]);
    const env = { ...process.env, XDG_STATE_HOME: dir };
    try {
      const typed = "over tls\nlist\nquit\n";
      const ok =
        await Bun.$`printf ${typed} | bun ${main} bbs connect 127.0.0.1:${tlsPort} --tls --ca ${file("a.crt")} --user tls-ann`
          .env(env)
          .nothrow()
          .quiet();
      expect(ok.stderr.toString()).toBe("");
      expect(ok.exitCode).toBe(0);
      expect(ok.stdout.toString()).toMatch(/tls-ann: over tls/);

      const untrusted =
        await Bun.$`printf ${typed} | bun ${main} bbs connect 127.0.0.1:${tlsPort} --tls --user tls-eve`
          .env(env)
          .nothrow()
          .quiet();
      expect(untrusted.exitCode).toBe(1);
      // the interactive client reports on its own output, like the seed's client
      expect(untrusted.stdout.toString()).toContain("failed verification");

      // the certificate openssl sees, and the plaintext port still serves the same board
      expect(await subject(tlsPort)).toContain("CN = first");
      const plain =
        await Bun.$`printf 'list\nquit\n' | bun ${main} bbs connect 127.0.0.1:${port} --user plain-bo`
          .env(env)
          .nothrow()
          .quiet();
      expect(plain.stdout.toString()).toMatch(/tls-ann: over tls/);
      expect(plain.stdout.toString()).not.toContain("tls-eve");
    } finally {
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(0);
    }
  }, 60_000);

  test("httpchat serves HTTPS beside plain: curl --cacert posts and reads; a changed certificate file is picked up", async () => {
    await Bun.$`cp ${file("a.crt")} ${file("web.crt")} && cp ${file("a.key")} ${file("web.key")}`;
    const { proc, port, tlsPort } = await startServer([
      "httpchat",
      "--db",
      ":memory:",
      "--tls-cert",
      file("web.crt"),
      "--tls-key",
      file("web.key"),
    ]);
    try {
      const url = `https://localhost:${tlsPort}`;
      const posted =
        await Bun.$`curl -sS --cacert ${file("web.crt")} -d ${'{"text":"over https"}'} ${url}/chat`.json();
      expect(posted.id).toBe(1);
      // the same store behind both ports; the page itself over HTTPS
      const plain = (await fetch(`http://127.0.0.1:${port}/messages`).then((r) => r.json())) as {
        text: string;
      }[];
      expect(plain.map((m) => m.text)).toEqual(["over https"]);
      const page = await Bun.$`curl -sS --cacert ${file("web.crt")} ${url}/`.text();
      expect(page).toContain("<html");
      // without the CA curl refuses, and the server never sees clear text
      const untrusted = await Bun.$`curl -sS ${url}/messages`.nothrow().quiet();
      expect(untrusted.exitCode).toBe(60);
      // a renewal rewrites the files: new connections get the new certificate
      await Bun.$`cp ${file("b.crt")} ${file("web.crt")} && cp ${file("b.key")} ${file("web.key")}`;
      const deadline = Date.now() + 5000;
      while (!(await subject(tlsPort)).includes("CN = second") && Date.now() < deadline) {
        await Bun.sleep(100);
      }
      expect(await subject(tlsPort)).toContain("CN = second");
    } finally {
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(0);
    }
  }, 30_000);

  test("up --tls makes a self-signed certificate once, prints its fingerprint, serves TLS and reloads a renewed one", async () => {
    const data = file("up-data");
    const proc = Bun.spawn(["bun", main, "up", "--tls", "--data", data, "--log-level", "warn"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = proc.stdout.getReader();
    let out = "";
    const deadline = Date.now() + 15_000;
    while (!out.includes("Ctrl-C") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    try {
      const printed = /SHA-256 fingerprint ([0-9A-F:]+)/.exec(out)?.[1];
      const real =
        await Bun.$`openssl x509 -noout -fingerprint -sha256 -in ${join(data, "tls/localhost.crt")}`.text();
      expect(printed).toBeDefined();
      expect(real).toContain(printed!);
      expect(out).toMatch(/echo\s+tls\s+127\.0\.0\.1:5101/);
      expect(out).toMatch(/chat\s+tls\s+127\.0\.0\.1:5102/);
      expect(out).toMatch(/dns\s+tls\s+127\.0\.0\.1:10853/);
      expect(out).toMatch(/bbs\s+tls\s+127\.0\.0\.1:10433/);
      expect(out).toMatch(/httpchat\s+tls\s+127\.0\.0\.1:8443/);
      const ca = join(data, "tls/localhost.crt");
      const answer =
        await Bun.$`bun ${main} lookup bbs.netkit.test @127.0.0.1 -p 10853 --tls --ca ${ca} --short`.text();
      expect(answer.trim()).toBe("127.0.0.1");
      const joined =
        await Bun.$`printf 'hi\n' | bun ${main} chat connect --tls --ca ${join(data, "tls/localhost.crt")} --name tls-user`
          .nothrow()
          .quiet();
      expect(joined.stdout.toString()).toContain("Welcome, tls-user!");
      const page = await Bun.$`curl -sS --cacert ${ca} https://localhost:8443/`.text();
      expect(page).toContain("<html");
      // A renewed certificate (here: another one written over the files) reaches every listener.
      await Bun.$`cp ${file("b.crt")} ${ca} && cp ${file("b.key")} ${join(data, "tls/localhost.key")}`;
      proc.kill("SIGHUP");
      for (const port of [5101, 5102, 10433, 10853, 8443]) {
        const deadline = Date.now() + 5000;
        while (!(await subject(port)).includes("CN = second") && Date.now() < deadline) {
          await Bun.sleep(100);
        }
        expect({ port, subject: await subject(port) }).toEqual({
          port,
          subject: expect.stringContaining("CN = second"),
        });
      }
    } finally {
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(0);
    }
  }, 30_000);
});
