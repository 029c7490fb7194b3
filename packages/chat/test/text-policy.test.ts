// Issue 13, one text policy: the chat session's rules with plain calls (no sockets).
import { describe, expect, test } from "bun:test";
import { checkName, nameKey } from "../src/names.ts";
import { Room } from "../src/room.ts";
import { ASK_NAME, ChatSession } from "../src/session.ts";

function client(room: Room<string>) {
  const lines: string[] = [];
  const session = new ChatSession<string>({ room, send: (l) => lines.push(l), close: () => {} });
  session.start();
  lines.length = 0;
  return {
    session,
    say: (...ls: string[]) => {
      for (const l of ls) session.handleLine(l);
    },
    take: () => lines.splice(0),
  };
}

describe("names are refused, not cleaned", () => {
  test.each([
    ["a C0 control (it used to join as ctlx)", "ctl\u0001x", "U+0001 START OF HEADING at 3"],
    ["a C1 control", "a\u009bb", "U+009B CONTROL SEQUENCE INTRODUCER at 1"],
    ["a bidi override", "\u202enimda", "U+202E RIGHT-TO-LEFT OVERRIDE at 0"],
    ["a zero-width space", "ad\u200bmin", "U+200B ZERO WIDTH SPACE at 2"],
    ["a word joiner", "ad\u2060min", "U+2060 WORD JOINER at 2"],
    ["a soft hyphen", "ad\u00admin", "U+00AD SOFT HYPHEN at 2"],
    ["a BOM", "\ufeffadmin", "U+FEFF ZERO WIDTH NO-BREAK SPACE at 0"],
    ["a no-break space", "ann\u00a0lee", "U+00A0 NO-BREAK SPACE at 3"],
  ])("%s", (_, name, what) => {
    const room = new Room<string>({ encode: (l) => l });
    const c = client(room);
    c.say(name);
    expect(c.take()).toEqual([`error NAME_INVALID: name contains ${what}`, ASK_NAME]);
    expect(room.size).toBe(0);
    expect(checkName(name)?.code).toBe("NAME_INVALID");
  });

  test("look-alike names are one name: case, fullwidth, ß, combining marks", () => {
    const room = new Room<string>({ encode: (l) => l });
    const first = client(room);
    first.say("Straße");
    const twin = client(room);
    for (const name of ["STRASSE", "ｓｔｒａｓｓｅ", "strasse"]) {
      twin.say(name);
      expect(twin.take()[0]).toBe(`error NAME_TAKEN: the name "${name}" is already in use`);
    }
    expect(nameKey("Zoe\u0308")).toBe(nameKey("zoë"));
    // and /nick can't take a look-alike of someone else either
    twin.say("zoe");
    twin.take();
    twin.say("/nick ＳＴＲＡＳＳＥ");
    expect(twin.take()).toEqual(['error NAME_TAKEN: the name "ＳＴＲＡＳＳＥ" is already in use']);
    twin.say("/nick zo\u200be");
    expect(twin.take()).toEqual(["error NAME_INVALID: name contains U+200B ZERO WIDTH SPACE at 2"]);
  });
});

describe("lines are refused whole, with the reason, and never reach the others", () => {
  test.each([
    ["ESC", "\u001b[2Jhi", "U+001B ESCAPE at 0"],
    ["BEL", "ding\u0007", "U+0007 BELL at 4"],
    ["CR inside a line", "fake\rline", "U+000D CARRIAGE RETURN at 4"],
    ["DEL", "x\u007f", "U+007F DELETE at 1"],
    ["C1 CSI", "red \u009b31m", "U+009B CONTROL SEQUENCE INTRODUCER at 4"],
    ["a bidi override", "hello\u202egnp.exe", "U+202E RIGHT-TO-LEFT OVERRIDE at 5"],
    ["a bidi isolate in /me", "/me \u2067waves", "U+2067 RIGHT-TO-LEFT ISOLATE at 4"],
    ["a control in /msg", "/msg bob hi\u001b", "U+001B ESCAPE at 11"],
  ])("%s", (_, line, what) => {
    const room = new Room<string>({ encode: (l) => l });
    const ann = client(room);
    ann.say("ann");
    const bob = client(room);
    bob.say("bob");
    ann.take();
    bob.take();
    ann.say(line);
    expect(ann.take()).toEqual([`error TEXT_INVALID: line contains ${what}; it was not sent`]);
    expect(bob.take()).toEqual([]);
    expect(room.history()).toEqual([]);
  });

  test("tabs, RTL text and its marks pass", () => {
    const room = new Room<string>({ encode: (l) => l });
    const ann = client(room);
    ann.say("ann");
    const bob = client(room);
    bob.say("bob");
    bob.take();
    ann.say("a\tb", "שלום \u200fעולם");
    expect(bob.take()).toEqual(["ann: a\tb", "ann: שלום \u200fעולם"]);
  });

  test("invalidUtf8 (from the transport) says where and asks for the name again while naming", () => {
    const room = new Room<string>({ encode: (l) => l });
    const c = client(room);
    c.session.invalidUtf8("line is not valid UTF-8 (byte 0xFF at 2)");
    expect(c.take()).toEqual([
      "error INVALID_UTF8: line is not valid UTF-8 (byte 0xFF at 2); it was dropped",
      ASK_NAME,
    ]);
  });
});
