// The front door as a user meets it: help, usage errors, and `up` starting and stopping cleanly.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { commands } from "../src/commands/index.ts";

const main = join(import.meta.dir, "..", "src", "main.ts");

async function cli(args: string[]) {
  const proc = Bun.spawn(["bun", main, ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

describe("cli", () => {
  test("--help lists every command", async () => {
    const { stdout, code } = await cli(["--help"]);
    expect(code).toBe(0);
    for (const name of Object.keys(commands)) expect(stdout).toContain(name);
  });

  test("every command has --help, exit 0", async () => {
    for (const name of Object.keys(commands)) {
      const { stdout, code } = await cli([name, "--help"]);
      expect({ name, code }).toEqual({ name, code: 0 });
      expect(stdout).toContain("Usage:");
    }
  });

  test("an unknown command: one error line plus usage on stderr, exit 2", async () => {
    const { stdout, stderr, code } = await cli(["frobnicate"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toBe('error: unknown command "frobnicate"');
    expect(stderr).toContain("Usage:");
  });

  test("an unknown flag: one error line plus the command's usage, exit 2", async () => {
    for (const name of Object.keys(commands)) {
      const { stderr, code } = await cli([name, "--no-such-flag"]);
      expect({ name, code }).toEqual({ name, code: 2 });
      expect(stderr.split("\n")[0]).toStartWith("error: ");
      expect(stderr).toContain("Usage:");
    }
  });

  test("up prints what listens where and stops on SIGINT with exit 0", async () => {
    const data = `${Bun.env.TMPDIR ?? "/tmp"}/netkit-up-${process.pid}`;
    const proc = Bun.spawn(["bun", main, "up", "--data", data, "--log-level", "warn"], {
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
    expect(out).toContain("SERVICE");
    expect(out).toContain("Press Ctrl-C to stop.");
    // The echo service is the seed's capitalizing one.
    const echoed = await Bun.$`printf 'hello straße\n' | nc -q 1 127.0.0.1 5001`.text();
    expect(echoed).toBe("HELLO STRASSE\n");
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(0);
    await Bun.$`rm -rf ${data}`.quiet();
  }, 30_000);
});
