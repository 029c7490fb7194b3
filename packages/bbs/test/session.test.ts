// The protocol state machine with plain calls: frames in, replies out, no sockets.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { LogEvent } from "@netkit/framing";
import { BbsStore, Board } from "../src/index.ts";
import { type Reply, Session } from "../src/session.ts";
import { FAST_ARGON2 } from "./helpers.ts";

const utf8 = new TextEncoder();
let store: BbsStore;
let board: Board;
let events: LogEvent[];

beforeEach(() => {
  store = new BbsStore({ path: ":memory:", now: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
  events = [];
  board = new Board(store, { ...FAST_ARGON2, log: (e) => events.push(e) });
});
afterEach(async () => {
  await store.close();
});

/** Everything the server would send for `reply`, as strings. */
function sent(reply: Reply): string[] {
  const out = [...reply.frames];
  if (reply.listing) {
    out.push(String(reply.listing.count));
    // SQLite listings are synchronous iterables.
    for (const page of reply.listing.pages as Iterable<string[]>) out.push(...page);
  }
  return out;
}

/** Feeds frames in order; returns everything sent back. */
async function feed(session: Session, ...frames: (string | Uint8Array)[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of frames)
    out.push(...sent(await session.handle(typeof f === "string" ? utf8.encode(f) : f)));
  return out;
}

async function user(name: string): Promise<Session> {
  const s = new Session(board, "127.0.0.1");
  expect(await feed(s, name)).toEqual([]);
  return s;
}

describe("seed commands", () => {
  test("banner", () => {
    expect(new Session(board, "x").banner()).toBe("BBS Server 1.2");
  });

  test("any other frame is a public post; list gives the count then `<username> <text>`, oldest first", async () => {
    const ann = await user("ann");
    const bob = await user("bob");
    expect(await feed(ann, "hello world")).toEqual([]);
    expect(await feed(bob, "hi ann")).toEqual([]);
    expect(await feed(ann, "list")).toEqual(["2", "ann hello world", "bob hi ann"]);
  });

  test("dm then recipient then text; listdm and listdms give `<sender> <text>` to the recipient only", async () => {
    const ann = await user("ann");
    const bob = await user("bob");
    expect(await feed(ann, "dm", "bob", "secret one")).toEqual([]);
    expect(await feed(ann, "dm", "bob", "secret two")).toEqual([]);
    expect(await feed(bob, "listdm")).toEqual(["2", "ann secret one", "ann secret two"]);
    expect(await feed(bob, "listdms")).toEqual(["2", "ann secret one", "ann secret two"]);
    expect(await feed(ann, "listdm")).toEqual(["0"]);
    expect(await feed(ann, "list")).toEqual(["0"]);
  });

  test("a DM's recipient and text frames are never commands", async () => {
    const ann = await user("ann");
    expect(await feed(ann, "dm", "list", "quit")).toEqual([]);
    const list = await user("list");
    expect(await feed(list, "listdm")).toEqual(["1", "ann quit"]);
  });

  test("quit closes the session", async () => {
    const ann = await user("ann");
    const reply = await ann.handle(utf8.encode("quit"));
    expect(reply).toEqual({ frames: [], close: true });
    expect(ann.isClosed).toBe(true);
  });

  test("an empty frame is a post of empty text, as in the seed", async () => {
    const ann = await user("ann");
    await feed(ann, "");
    expect(await feed(ann, "list")).toEqual(["1", "ann "]);
  });
});

describe("handleNow (the transport's path)", () => {
  test("a post returns null and settles later, after the commit; a command answers at once", async () => {
    const s = await user("ann");
    const outcomes: Reply[] = [];
    const later = {
      resolve: (r: Reply) => outcomes.push(r),
      reject: (e: unknown) => {
        throw e;
      },
    };
    expect(s.handleNow(utf8.encode("hello"), later)).toBeNull();
    expect(outcomes).toEqual([]);
    await store.flush();
    expect(outcomes).toEqual([{ frames: [] }]);
    expect(store.lastPostId()).toBe(1);
    expect(s.handleNow(utf8.encode("unread"), later)).toEqual({ frames: ["0"] });
  });

  test("two posts handed over without waiting are both stored, in order", async () => {
    const s = await user("ann");
    await Promise.all([s.handle(utf8.encode("a")), s.handle(utf8.encode("b"))]);
    expect(await feed(s, "list")).toEqual(["2", "ann a", "ann b"]);
  });
});

describe("extensions", () => {
  test("who lists the names online, once each, sorted; leaving removes them", async () => {
    const bob = await user("bob");
    const ann = await user("ann");
    const ann2 = await user("ann");
    expect(await feed(bob, "who")).toEqual(["2", "ann", "bob"]);
    ann.end();
    expect(await feed(bob, "who")).toEqual(["2", "ann", "bob"]);
    ann2.end();
    expect(await feed(bob, "who")).toEqual(["1", "bob"]);
  });

  test("since N lists posts with id > N as `<id> <time> <user> <text>`", async () => {
    const ann = await user("ann");
    await feed(ann, "a", "b", "c");
    expect(await feed(ann, "since", "1")).toEqual([
      "2",
      "2 2026-01-02T03:04:05.000Z ann b",
      "3 2026-01-02T03:04:05.000Z ann c",
    ]);
    expect(await feed(ann, "since", "3")).toEqual(["0"]);
    expect(await feed(ann, "since", "x1")).toEqual(["error: id must be a decimal integer"]);
    expect(await feed(ann, "since", "-1")).toEqual(["error: id must be a decimal integer"]);
  });

  test("unread counts DMs not yet listed; dmsince lists with ids and marks them read", async () => {
    const ann = await user("ann");
    const bob = await user("bob");
    await feed(ann, "dm", "bob", "one", "dm", "bob", "two");
    expect(await feed(bob, "unread")).toEqual(["2"]);
    expect(await feed(bob, "dmsince", "1")).toEqual(["1", "2 2026-01-02T03:04:05.000Z ann two"]);
    expect(await feed(bob, "unread")).toEqual(["0"]);
    await feed(ann, "dm", "bob", "three");
    expect(await feed(bob, "unread")).toEqual(["1"]);
    await feed(bob, "listdms");
    expect(await feed(bob, "unread")).toEqual(["0"]);
  });
});

describe("accounts and privacy", () => {
  test("register logs in; a second session under the name is locked out until login", async () => {
    const bob = await user("bob");
    expect(await feed(bob, "register", "correct horse")).toEqual(["ok"]);
    const ann = await user("ann");
    await feed(ann, "dm", "bob", "for bob only");
    expect(await feed(bob, "listdm")).toEqual(["1", "ann for bob only"]);

    const mallory = await user("bob");
    expect(await feed(mallory, "listdm")).toEqual(["error: login required"]);
    expect(await feed(mallory, "listdms")).toEqual(["error: login required"]);
    expect(await feed(mallory, "unread")).toEqual(["error: login required"]);
    expect(await feed(mallory, "dmsince", "0")).toEqual(["error: login required"]);
    expect(await feed(mallory, "dm", "ann", "forged")).toEqual(["error: login required"]);
    expect(await feed(mallory, "forged post")).toEqual(["error: login required"]);
    expect(await feed(mallory, "list")).toEqual(["0"]);
    expect(await feed(mallory, "login", "wrong password")).toEqual(["error: wrong password"]);
    expect(await feed(mallory, "listdm")).toEqual(["error: login required"]);
    expect(store.lastPostId()).toBe(0);
    expect(store.dms("ann")).toEqual([]);

    expect(await feed(mallory, "login", "correct horse")).toEqual(["ok"]);
    expect(await feed(mallory, "listdm")).toEqual(["1", "ann for bob only"]);
  });

  test("register refuses a taken name and weak passwords", async () => {
    const bob = await user("bob");
    expect(await feed(bob, "register", "short")).toEqual([
      "error: password too weak: at least 8 characters",
    ]);
    expect(await feed(bob, "register", "aaaaaaaaaa")).toEqual([
      "error: password too weak: too few distinct characters",
    ]);
    expect(await feed(bob, "register", "good password")).toEqual(["ok"]);
    const bob2 = await user("bob");
    expect(await feed(bob2, "register", "another password")).toEqual([
      "error: name already registered",
    ]);
  });

  test("two sessions registering the same name at once: exactly one wins", async () => {
    const a = await user("carol");
    const b = await user("carol");
    const replies = await Promise.all([
      a.handle(utf8.encode("register")).then(() => a.handle(utf8.encode("password one"))),
      b.handle(utf8.encode("register")).then(() => b.handle(utf8.encode("password two"))),
    ]);
    expect(replies.map((r) => r.frames[0]).sort()).toEqual([
      "error: name already registered",
      "ok",
    ]);
  });

  test("login to an unregistered name is an error; guests keep working as in the seed", async () => {
    const g = await user("guest");
    expect(await feed(g, "login", "whatever pw")).toEqual(["error: name not registered"]);
    await feed(g, "a post");
    expect(await feed(g, "list")).toEqual(["1", "guest a post"]);
  });

  test("failed logins are throttled per name", async () => {
    const owner = await user("dave");
    await feed(owner, "register", "dave's password");
    const s = await user("dave");
    for (let i = 0; i < 5; i++)
      expect(await feed(s, "login", `nope ${i}`)).toEqual(["error: wrong password"]);
    const [reply] = await feed(s, "login", "dave's password");
    expect(reply).toMatch(/^error: too many failed logins, retry in \d+ s$/);
  });
});

describe("bad input", () => {
  test.each([
    ["an empty name", ""],
    ["a name with a space", "a b"],
    ["a name with a tab", "a\tb"],
    ["a name with a control character", "a\u0007"],
    ["a 33-character name", "x".repeat(33)],
  ])("%s is refused with an error and the session closes", async (_, name) => {
    const s = new Session(board, "x");
    const reply = await s.handle(utf8.encode(name));
    expect(reply.close).toBe(true);
    expect(reply.frames[0]).toMatch(/^error: invalid username: /);
    expect(board.online()).toEqual([]);
  });

  test("a 32-character name of multi-byte characters is fine", async () => {
    const s = await user("é".repeat(32));
    expect(s.username).toBe("é".repeat(32));
  });

  test("invalid UTF-8 in a username closes the session", async () => {
    const s = new Session(board, "x");
    const reply = await s.handle(Uint8Array.of(0xff, 0xfe));
    expect(reply.frames).toEqual([
      "error: invalid username: username is not valid UTF-8 (byte 0xFF at 0)",
    ]);
  });

  test("posts and DMs over 4 KiB, with control characters or invalid UTF-8 are refused and logged", async () => {
    const ann = await user("ann");
    expect(await feed(ann, "x".repeat(4097))).toEqual([]);
    expect(await feed(ann, "bell\u0007")).toEqual([]);
    expect(await feed(ann, Uint8Array.of(0x61, 0xc3))).toEqual([]);
    expect(await feed(ann, "dm", "bob", "y".repeat(4097))).toEqual([]);
    expect(await feed(ann, "dm", "bad name", "text")).toEqual([]);
    expect(await feed(ann, "x".repeat(4096))).toEqual([]);
    expect(await feed(ann, "multi\nline\ttext")).toEqual([]);
    expect(store.lastPostId()).toBe(2);
    expect(store.dms("bob")).toEqual([]);
    expect(events.filter((e) => e.event === "refused").length).toBe(5);
  });

  test("frames after quit are not handled", async () => {
    const ann = await user("ann");
    await feed(ann, "quit");
    expect(await ann.handle(utf8.encode("late post"))).toEqual({ frames: [], close: true });
    expect(store.lastPostId()).toBe(0);
  });
});
