// The package's client: the API in-process, and the CLI's interactive client driven through stdin.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startNameService } from "@netkit/dns";
import { BbsClient, type BbsServer, startBbsServer } from "../src/index.ts";
import { parseTarget } from "../src/interactive.ts";
import { FAST_ARGON2, frame, RawClient, tempDir } from "./helpers.ts";

const CLI = join(import.meta.dir, "..", "..", "..", "apps", "cli");
let server: BbsServer;
const stateDir = tempDir("bbs-client-state-");

beforeAll(async () => {
  server = await startBbsServer({ port: 0, dbPath: ":memory:", ...FAST_ARGON2 });
});
afterAll(async () => {
  await server.stop();
  stateDir.remove();
});

/** Runs `bbs connect ...args` with `lines` on stdin; resolves with stdout and the exit code. */
async function runClient(args: string[], lines: string[]): Promise<{ out: string; code: number }> {
  const proc = Bun.spawn(["bun", "run", CLI, "bbs", "connect", ...args], {
    stdin: new TextEncoder().encode(lines.map((l) => `${l}\n`).join("")),
    stdout: "pipe",
    stderr: "pipe",
    // the client's `new` state goes to a temp dir, never to the real home
    env: { ...process.env, XDG_STATE_HOME: stateDir.path },
  });
  const timer = setTimeout(() => proc.kill(9), 20_000);
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  if (err.trim()) console.error(err);
  return { out, code };
}

describe("BbsClient", () => {
  test("every command through the API", async () => {
    const ann = await BbsClient.connect({
      host: "127.0.0.1",
      port: server.port,
      username: "api-ann",
    });
    const bob = await BbsClient.connect({
      host: "127.0.0.1",
      port: server.port,
      username: "api-bob",
    });
    await bob.register("bob's api password");
    await ann.post("api hello");
    await ann.dm("api-bob", "api secret");
    expect(await ann.who()).toEqual(expect.arrayContaining(["api-ann", "api-bob"]));
    expect(await bob.unread()).toBe(1);
    expect(await bob.listDms()).toEqual(["api-ann api secret"]);
    const rows = await ann.since(0);
    const mine = rows.filter((r) => r.name === "api-ann");
    expect(mine.map((r) => r.text)).toEqual(["api hello"]);
    expect(mine[0]?.time).toBeInstanceOf(Date);
    expect(await ann.since(rows[rows.length - 1]?.id ?? 0)).toEqual([]);
    expect((await ann.list()).includes("api-ann api hello")).toBe(true);
    const thief = await BbsClient.connect({
      host: "127.0.0.1",
      port: server.port,
      username: "api-bob",
    });
    await expect(thief.dmsSince(0)).rejects.toMatchObject({
      code: "REFUSED",
      message: "login required",
    });
    await thief.quit();
    await ann.quit();
    await bob.quit();
    expect(ann.isClosed).toBe(true);
  });

  test("a server with another banner is refused with WRONG_PROTOCOL", async () => {
    const fake = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { open: (s) => void s.write(frame("Chat Server 9")), data() {} },
    });
    try {
      await expect(
        BbsClient.connect({ host: "127.0.0.1", port: fake.port, username: "x" }),
      ).rejects.toMatchObject({
        code: "WRONG_PROTOCOL",
      });
    } finally {
      fake.stop(true);
    }
  });

  test("parseTarget", () => {
    expect(parseTarget("bbs.example")).toEqual({ host: "bbs.example", port: 10333 });
    expect(parseTarget("10.0.0.1:4000")).toEqual({ host: "10.0.0.1", port: 4000 });
    expect(parseTarget("[::1]:4000")).toEqual({ host: "::1", port: 4000 });
    expect(parseTarget("::1")).toEqual({ host: "::1", port: 10333 });
    expect(() => parseTarget("a:99999")).toThrow();
  });
});

describe("bbs connect (interactive client through stdin)", () => {
  test("posts, a DM, list, who and quit, as typed at the prompts", async () => {
    const { out, code } = await runClient(
      [`127.0.0.1:${server.port}`, "--user", "cli-ann"],
      ["hello from the cli", "dm", "cli-bob", "psst bob", "list", "who", "quit"],
    );
    expect(code).toBe(0);
    expect(out).toContain("0 unread direct message(s)");
    expect(out).toMatch(/#\d+ \d{4}-\d\d-\d\d \d\d:\d\d cli-ann: hello from the cli/);
    expect(out).toMatch(/online: .*cli-ann/);
    expect(out).toContain("Bye.");
    const bob = await RawClient.session(server.port, "cli-bob");
    bob.send("listdm");
    expect(await bob.listing()).toEqual(["cli-ann psst bob"]);
    bob.close();
  }, 30_000);

  test("the seed flow: domain asked at the prompt, looked up in the name service, then username", async () => {
    const names = await startNameService({
      port: 0,
      lookup: (name) => (name === "bbs.netkit.test" ? "127.0.0.1" : null),
    });
    try {
      const ok = await runClient(
        ["--names", `127.0.0.1:${names.port}`],
        [`bbs.netkit.test:${server.port}`, "cli-dora", "via dns", "new", "listdm"],
      );
      expect(ok.code).toBe(0);
      expect(ok.out).toContain(`Connected to 127.0.0.1:${server.port} as cli-dora.`);
      expect(ok.out).toMatch(/cli-dora: via dns/);
      expect(ok.out).toContain("(no direct messages)");

      const unknown = await runClient(["nowhere.test", "--names", `127.0.0.1:${names.port}`], []);
      expect(unknown.code).toBe(1);
      expect(unknown.out).toContain("unknown domain: nowhere.test");
    } finally {
      await names.stop();
    }
  }, 30_000);

  test("Wrong protocol! and exit 1 when the banner is not BBS Server 1.2", async () => {
    const fake = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { open: (s) => void s.write(frame("DNS Server 1.0")), data() {} },
    });
    try {
      const { out, code } = await runClient([`127.0.0.1:${fake.port}`, "--user", "x"], ["list"]);
      expect(code).toBe(1);
      expect(out.trim()).toBe("Wrong protocol!");
    } finally {
      fake.stop(true);
    }
  }, 30_000);

  test("`new` shows only posts newer than the last visit (remembered in the state file)", async () => {
    const target = `127.0.0.1:${server.port}`;
    const first = await runClient([target, "--user", "cli-fay"], ["list", "quit"]);
    expect(first.code).toBe(0);
    const other = await RawClient.session(server.port, "cli-gus");
    other.send("posted while fay was away", "who");
    await other.listing();
    other.close();
    const second = await runClient([target, "--user", "cli-fay"], ["new", "quit"]);
    const shown = second.out.split("\n").filter((l) => /^#\d+ /.test(l));
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(/cli-gus: posted while fay was away$/);
    const third = await runClient([target, "--user", "cli-fay"], ["new", "quit"]);
    expect(third.out).toContain("(no posts)");
    const state = await Bun.file(join(stateDir.path, "netkit", "bbs-client.json")).json();
    expect(Object.keys(state)).toContain(`cli-fay@${target}`);
  }, 30_000);

  test("issue 13: the interactive client says why it won't send a text, and shows old stored controls visibly", async () => {
    // a post stored before the policy, straight into the store
    await server.store.addPost("legacy", "old \u009b31m red");
    const { out, code } = await runClient(
      [`127.0.0.1:${server.port}`, "--user", "cli-ivy"],
      ["evil \u202egnp.exe", "dm", "b\u200bob", "hi", "bell\u0007", "list", "quit"],
    );
    expect(code).toBe(0);
    expect(out).toContain("not posted: text contains U+202E RIGHT-TO-LEFT OVERRIDE at 5");
    expect(out).toContain("not sent: recipient contains U+200B ZERO WIDTH SPACE at 1");
    expect(out).toContain("not posted: text contains U+0007 BELL at 4");
    expect(out).toContain("legacy: old <U+009B>31m red");
    expect(out).not.toContain("\u009b");
    const check = await RawClient.session(server.port, "cli-check");
    check.send("list");
    const rows = await check.listing();
    check.close();
    expect(rows).toContain("legacy old \u009b31m red"); // stored data is kept as it was
    expect(rows.some((r) => r.startsWith("cli-ivy"))).toBe(false);
  }, 30_000);

  test("register, then a later session logs in with the password typed at its prompt", async () => {
    const first = await runClient(
      [`127.0.0.1:${server.port}`, "--user", "cli-eve"],
      ["register", "eve's long password", "quit"],
    );
    expect(first.out).toContain("Registered and logged in.");
    const wrong = await runClient(
      [`127.0.0.1:${server.port}`, "--user", "cli-eve"],
      ["not the password", "forged post", "listdm", "quit"],
    );
    expect(wrong.code).toBe(0);
    expect(wrong.out).toContain("cli-eve is registered");
    expect(wrong.out).toContain("wrong password");
    expect(wrong.out.match(/login required/g)?.length).toBe(2);
    const right = await runClient(
      [`127.0.0.1:${server.port}`, "--user", "cli-eve"],
      ["eve's long password", "signed post", "list", "quit"],
    );
    expect(right.out).toContain("Logged in.");
    expect(right.out).toMatch(/cli-eve: signed post/);
    expect(right.out).not.toContain("forged post");
  }, 30_000);
});
