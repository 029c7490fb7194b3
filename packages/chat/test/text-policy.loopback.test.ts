// Issue 13 on the wire: the chat server on 127.0.0.1:0 with real line clients. Names and lines
// that break the text policy are refused with an error line; invalid UTF-8 too (not U+FFFD).
import { afterEach, expect, test } from "bun:test";
import { type ChatServer, startChatServer } from "../src/server.ts";
import { LineClient } from "./helpers.ts";

let server: ChatServer | undefined;
const clients: LineClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.stop();
  server = undefined;
});

async function open(): Promise<LineClient> {
  const c = await LineClient.open(server?.port ?? 0);
  clients.push(c);
  await c.waitFor(/What is your name\?$/);
  return c;
}

async function join(name: string): Promise<LineClient> {
  const c = await LineClient.join(server?.port ?? 0, name);
  clients.push(c);
  return c;
}

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...Buffer.from(p)] : p)));

test("a name with a control, invisible or bidi character is refused with its code point", async () => {
  server = await startChatServer({ port: 0 });
  const c = await open();
  c.send("ctl\u0001x");
  expect(await c.next()).toBe("error NAME_INVALID: name contains U+0001 START OF HEADING at 3");
  expect(await c.next()).toBe("* What is your name?");
  c.send("ad\u200bmin");
  expect(await c.next()).toBe("error NAME_INVALID: name contains U+200B ZERO WIDTH SPACE at 2");
  expect(await c.next()).toBe("* What is your name?");
  c.send("ctlx");
  expect(await c.next()).toMatch(/^\* Welcome, ctlx!/);
  expect(server.names()).toEqual(["ctlx"]);
});

test("a look-alike of a name in use is taken", async () => {
  server = await startChatServer({ port: 0 });
  await join("admin");
  const c = await open();
  c.send("ＡＤＭＩＮ");
  expect(await c.next()).toBe('error NAME_TAKEN: the name "ＡＤＭＩＮ" is already in use');
});

test("lines with ESC, C1 or a bidi override are refused; the others never see them", async () => {
  server = await startChatServer({ port: 0 });
  const ann = await join("ann");
  const bob = await join("bob");
  await ann.waitFor("* bob joined");
  ann.send("\u001b]0;owned\u0007");
  expect(await ann.next()).toBe(
    "error TEXT_INVALID: line contains U+001B ESCAPE at 0; it was not sent",
  );
  ann.send("red \u009b31m");
  expect(await ann.next()).toBe(
    "error TEXT_INVALID: line contains U+009B CONTROL SEQUENCE INTRODUCER at 4; it was not sent",
  );
  ann.send("hello\u202egnp.exe");
  expect(await ann.next()).toBe(
    "error TEXT_INVALID: line contains U+202E RIGHT-TO-LEFT OVERRIDE at 5; it was not sent",
  );
  ann.send("fine\tline");
  expect(await bob.next()).toBe("ann: fine\tline"); // the first thing bob gets
});

test("invalid UTF-8 is refused with an error line, in order, not turned into U+FFFD", async () => {
  server = await startChatServer({ port: 0 });
  const ann = await join("ann");
  const bob = await join("bob");
  await ann.waitFor("* bob joined");
  ann.conn.sendBytes(bytes("before\n", "bad ", [0xc3, 0x28], "\n", "after\n"));
  expect(await ann.next()).toBe(
    "error INVALID_UTF8: line is not valid UTF-8 (byte 0xC3 at 4); it was dropped",
  );
  expect(await bob.next()).toBe("ann: before");
  expect(await bob.next()).toBe("ann: after");
  // while naming, too: the name is asked for again
  const c = await open();
  c.conn.sendBytes(bytes([0xff], "\n"));
  expect(await c.next()).toBe(
    "error INVALID_UTF8: line is not valid UTF-8 (byte 0xFF at 0); it was dropped",
  );
  expect(await c.next()).toBe("* What is your name?");
});
