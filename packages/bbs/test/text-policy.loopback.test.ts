// Issue 13 on the wire: a real server on 127.0.0.1 and raw framed clients. What the text policy
// refuses is never stored nor sent on; look-alike names can't pass for a registered one.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { type BbsServer, startBbsServer } from "../src/index.ts";
import { FAST_ARGON2, RawClient } from "./helpers.ts";

let server: BbsServer;
const clients: RawClient[] = [];

async function open(name: string): Promise<RawClient> {
  const c = await RawClient.session(server.port, name);
  clients.push(c);
  return c;
}

beforeEach(async () => {
  server = await startBbsServer({ port: 0, dbPath: ":memory:", ...FAST_ARGON2 });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.stop();
});

test("posts and DMs with C0, C1, bidi controls or invalid UTF-8 are not stored or sent out", async () => {
  const ann = await open("ann");
  const hostile = [
    "\u001b]0;owned\u0007",
    "red \u009b31m",
    "hello\u202egnp.exe",
    "x\u2067y",
    "cr\r",
  ];
  for (const text of hostile) ann.send(text, "dm", "bob", text);
  ann.sendRaw(new Uint8Array([0, 0, 0, 2, 0x61, 0xff]));
  ann.send("clean\tpost", "list");
  expect(await ann.listing()).toEqual(["ann clean\tpost"]);
  const bob = await open("bob");
  bob.send("listdm");
  expect(await bob.listing()).toEqual([]);
  expect(ann.isClosed).toBe(false);
});

test("a username with an invisible character or a bidi override gets an error frame and is closed", async () => {
  for (const [name, what] of [
    ["ad\u200bmin", "U+200B ZERO WIDTH SPACE at 2"],
    ["\u202enimda", "U+202E RIGHT-TO-LEFT OVERRIDE at 0"],
  ]) {
    const c = await RawClient.connect(server.port);
    clients.push(c);
    expect(await c.next()).toBe("BBS Server 1.2");
    c.send(name as string);
    expect(await c.next()).toBe(`error: invalid username: username contains ${what}`);
    expect(await c.waitClosed()).toBe(true);
  }
});

test("a look-alike of a registered name is locked and can't register it again", async () => {
  const admin = await open("admin");
  admin.send("register", "admin's password");
  expect(await admin.next()).toBe("ok");
  const twin = await open("ＡＤＭＩＮ");
  twin.send("forged");
  expect(await twin.next()).toBe("error: login required");
  twin.send("register", "some other password");
  expect(await twin.next()).toBe("error: name already registered");
  admin.send("list");
  expect(await admin.listing()).toEqual([]);
});
