// Issue 13, one text policy: the BBS's rules with plain calls — the session refuses controls,
// bidi controls, invisible name characters and invalid UTF-8; accounts compare names by nameKey;
// migration 3 keys existing accounts and keeps look-alikes that already exist working.
import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { LogEvent } from "@netkit/framing";
import { migrateSqlite } from "@netkit/store";
import { Accounts, BbsStore, Board, MIGRATIONS } from "../src/index.ts";
import { type Reply, Session } from "../src/session.ts";
import { FAST_ARGON2, tempDir } from "./helpers.ts";

const utf8 = new TextEncoder();
let store: BbsStore;
let board: Board;
let events: LogEvent[];

beforeEach(() => {
  store = new BbsStore({ path: ":memory:" });
  events = [];
  board = new Board(store, { ...FAST_ARGON2, log: (e) => events.push(e) });
});
afterEach(async () => {
  await store.close();
});

const frameOf = (f: string | Uint8Array) => (typeof f === "string" ? utf8.encode(f) : f);

async function feed(session: Session, ...frames: (string | Uint8Array)[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of frames) out.push(...(await session.handle(frameOf(f))).frames);
  return out;
}

async function user(name: string): Promise<Session> {
  const s = new Session(board, "127.0.0.1");
  expect(await feed(s, name)).toEqual([]);
  return s;
}

const refusals = () => events.filter((e) => e.event === "refused").map((e) => e.reason);

describe("usernames", () => {
  test.each([
    ["a C0 control", "ctl\u0001x", "U+0001 START OF HEADING at 3"],
    ["a C1 control", "csi\u009b", "U+009B CONTROL SEQUENCE INTRODUCER at 3"],
    ["a bidi override", "\u202eadmin", "U+202E RIGHT-TO-LEFT OVERRIDE at 0"],
    ["a zero-width space", "ad\u200bmin", "U+200B ZERO WIDTH SPACE at 2"],
    ["a soft hyphen", "ad\u00admin", "U+00AD SOFT HYPHEN at 2"],
    ["a BOM", "\ufeffadmin", "U+FEFF ZERO WIDTH NO-BREAK SPACE at 0"],
    ["a variation selector", "admin\ufe0e", "U+FE0E VARIATION SELECTOR-15 at 5"],
  ])("%s gets an error frame naming it, and the session closes", async (_, name, what) => {
    const reply: Reply = await new Session(board, "x").handle(utf8.encode(name));
    expect(reply).toEqual({
      frames: [`error: invalid username: username contains ${what}`],
      close: true,
    });
    expect(board.online()).toEqual([]);
  });

  test("invalid UTF-8 names its first bad byte", async () => {
    const reply = await new Session(board, "x").handle(Uint8Array.of(0x61, 0x62, 0xc0, 0xaf));
    expect(reply.frames).toEqual([
      "error: invalid username: username is not valid UTF-8 (byte 0xC0 at 2)",
    ]);
  });
});

describe("posts and DMs (no reply in the protocol: refused, logged, not stored)", () => {
  test.each([
    ["ESC", "\u001b[2Jgone", "text contains U+001B ESCAPE at 0"],
    ["CR", "fake\rline", "text contains U+000D CARRIAGE RETURN at 4"],
    ["DEL", "x\u007f", "text contains U+007F DELETE at 1"],
    ["C1 CSI", "red \u009b31m", "text contains U+009B CONTROL SEQUENCE INTRODUCER at 4"],
    ["a bidi override", "hello\u202egnp.exe", "text contains U+202E RIGHT-TO-LEFT OVERRIDE at 5"],
    ["a bidi isolate", "a\u2066b", "text contains U+2066 LEFT-TO-RIGHT ISOLATE at 1"],
  ])("a post with %s", async (_, text, reason) => {
    const ann = await user("ann");
    expect(await feed(ann, text, "dm", "bob", text)).toEqual([]);
    expect(store.lastPostId()).toBe(0);
    expect(store.dms("bob")).toEqual([]);
    expect(refusals()).toEqual([reason, reason]);
  });

  test("invalid UTF-8 in a post or DM; a DM to an invisible-character name", async () => {
    const ann = await user("ann");
    await feed(ann, Uint8Array.of(0x68, 0x69, 0xff), "dm", "b\u200bob", "hello");
    expect(refusals()).toEqual([
      "text is not valid UTF-8 (byte 0xFF at 2)",
      "recipient contains U+200B ZERO WIDTH SPACE at 1",
    ]);
    expect(store.lastPostId()).toBe(0);
  });

  test("tabs, newlines, RTL text and its marks are fine", async () => {
    const ann = await user("ann");
    await feed(ann, "a\tb\nc", "שלום \u200fעולם", "dm", "bob", "x\ty");
    expect(store.lastPostId()).toBe(2);
    expect(store.dms("bob").map((m) => m.body)).toEqual(["x\ty"]);
    expect(refusals()).toEqual([]);
  });
});

describe("account names compare by nameKey (NFKC + case fold)", () => {
  test("a look-alike can't register beside a registered name, nor act as it", async () => {
    const admin = await user("admin");
    expect(await feed(admin, "register", "admin's password")).toEqual(["ok"]);
    for (const twin of ["Admin", "ADMIN", "ａｄｍｉｎ"]) {
      const s = await user(twin);
      expect(s.locked).toBe(true);
      expect(await feed(s, "forged post")).toEqual(["error: login required"]);
      expect(await feed(s, "register", "another password")).toEqual([
        "error: name already registered",
      ]);
    }
    expect(store.lastPostId()).toBe(0);
    // the owner may log in under any spelling of the name
    const owner = await user("ADMIN");
    expect(await feed(owner, "login", "admin's password")).toEqual(["ok"]);
  });

  test("the failed-login limit counts all spellings of a name together", async () => {
    const accounts = new Accounts(store, { ...FAST_ARGON2, maxFailuresPerName: 2 });
    expect(await accounts.register("zoe", "zoe's password")).toEqual({ ok: true });
    expect((await accounts.login("Zoe", "wrong 1", "10.0.0.1")).ok).toBe(false);
    expect((await accounts.login("ZOE", "wrong 2", "10.0.0.2")).ok).toBe(false);
    const third = await accounts.login("ｚｏｅ", "zoe's password", "10.0.0.3");
    expect(third).toMatchObject({ ok: false, reason: expect.stringMatching(/too many failed/) });
  });

  test("the store refuses a second account with the same key (the unique index)", async () => {
    expect(await store.addAccount("Straße", "h1")).toBe(true);
    expect(await store.addAccount("STRASSE", "h2")).toBe(false);
    expect(store.passwordHash("strasse")).toBe("h1");
  });
});

describe("migration 3 on existing data", () => {
  test("keys every account; of older look-alikes the oldest owns the key, the others still log in by exact name", async () => {
    const dir = tempDir();
    const path = join(dir.path, "v2.sqlite");
    try {
      const old = new Database(path);
      expect(migrateSqlite(old, MIGRATIONS.slice(0, 2))).toEqual([1, 2]);
      const add = old.query(
        "INSERT INTO accounts (username, password_hash, created_ms) VALUES (?1, ?2, ?3)",
      );
      add.run("Bob", "h-Bob", 1);
      add.run("bob", "h-bob", 2);
      add.run("ann", "h-ann", 3);
      old.close();
      const reopened = new BbsStore({ path });
      expect(reopened.passwordHash("Bob")).toBe("h-Bob");
      expect(reopened.passwordHash("bob")).toBe("h-bob");
      expect(reopened.passwordHash("BOB")).toBe("h-Bob"); // the key belongs to the oldest
      expect(reopened.passwordHash("ANN")).toBe("h-ann");
      expect(await reopened.addAccount("Ann", "h2")).toBe(false);
      expect(await reopened.addAccount("carol", "h3")).toBe(true);
      expect(new Accounts(reopened).isRegistered("ＢＯＢ")).toBe(true);
      await reopened.close();
    } finally {
      dir.remove();
    }
  });
});
