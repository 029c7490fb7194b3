import { describe, expect, test } from "bun:test";
import { ChatError } from "../src/errors.ts";
import { Room } from "../src/room.ts";
import { ASK_NAME, ChatSession, GREETING, HELP_LINES } from "../src/session.ts";

function setup(options: { floodBurst?: number; floodLinesPerSecond?: number } = {}) {
  let now = 0;
  const room = new Room<string>({
    encode: (l) => l,
    nowMs: () => Date.UTC(2026, 0, 1, 12, 0, 0),
  });
  const client = () => {
    const lines: string[] = [];
    let closed = 0;
    const session = new ChatSession<string>({
      room,
      send: (l) => lines.push(l),
      close: () => closed++,
      nowMs: () => now,
      ...options,
    });
    session.start();
    return {
      session,
      lines,
      closedCount: () => closed,
      say: (...ls: string[]) => {
        for (const l of ls) session.handleLine(l);
      },
      take: () => lines.splice(0),
    };
  };
  return { room, client, tick: (ms: number) => (now += ms) };
}

describe("naming", () => {
  test("greets, asks again on empty, then welcomes", () => {
    const { client } = setup();
    const ann = client();
    expect(ann.take()).toEqual([GREETING]);
    ann.say("", "   ");
    expect(ann.take()).toEqual([ASK_NAME, ASK_NAME]);
    ann.say("  ann  ");
    expect(ann.session.name).toBe("ann");
    expect(ann.take()[0]).toMatch(/^\* Welcome, ann! 0 other people are here/);
  });

  test("a taken name (any case) and an invalid name say why and ask again", () => {
    const { client } = setup();
    const ann = client();
    ann.say("Ann");
    const bob = client();
    bob.take();
    bob.say("ANN");
    expect(bob.take()).toEqual([`error NAME_TAKEN: the name "ANN" is already in use`, ASK_NAME]);
    bob.say("bob smith");
    expect(bob.take()).toEqual(["error NAME_INVALID: name contains U+0020 SPACE at 3", ASK_NAME]);
    bob.say("b".repeat(33));
    expect(bob.take()[0]).toStartWith("error NAME_INVALID: the name has 33 characters");
    bob.say("bob");
    expect(bob.take()[0]).toStartWith("* Welcome, bob! 1 other person is here.");
    expect(ann.lines.at(-1)).toBe("* bob joined");
  });
});

describe("chatting", () => {
  function trio() {
    const s = setup();
    const [ann, bob, cy] = [s.client(), s.client(), s.client()];
    ann.say("ann");
    bob.say("bob");
    cy.say("cy");
    for (const c of [ann, bob, cy]) c.take();
    return { ...s, ann, bob, cy };
  }

  test("a message reaches the others, not the sender; empty lines are ignored", () => {
    const { ann, bob, cy } = trio();
    ann.say("hello there", "");
    expect(ann.take()).toEqual([]);
    expect(bob.take()).toEqual(["ann: hello there"]);
    expect(cy.take()).toEqual(["ann: hello there"]);
  });

  test("issue 13: a line with a control is refused, not stripped; tabs pass; // sends a line starting with /", () => {
    const { ann, bob } = trio();
    ann.say("\u001b[2Jhi\u0007\tthere", "hi\tthere", "//not a command");
    expect(bob.take()).toEqual(["ann: hi\tthere", "ann: /not a command"]);
    expect(ann.take()).toEqual([
      "error TEXT_INVALID: line contains U+001B ESCAPE at 0; it was not sent",
    ]);
  });

  test("/who lists everyone", () => {
    const { ann } = trio();
    ann.say("/who");
    expect(ann.take()).toEqual(["* 3 here: ann, bob, cy"]);
  });

  test("/msg is private, with a copy to the sender; errors for unknown or bad usage", () => {
    const { ann, bob, cy } = trio();
    ann.say("/msg BOB secret stuff");
    expect(bob.take()).toEqual(["[private] ann: secret stuff"]);
    expect(ann.take()).toEqual(["[private to bob] secret stuff"]);
    expect(cy.take()).toEqual([]);
    ann.say("/msg zed hi", "/msg bob");
    expect(ann.take()).toEqual([
      'error NO_SUCH_USER: no one called "zed" is here',
      "error BAD_COMMAND: usage: /msg <name> <text>",
    ]);
  });

  test("/nick renames for everyone; a taken name is refused", () => {
    const { ann, bob } = trio();
    ann.say("/nick anna");
    expect(ann.take()).toEqual(["* ann is now known as anna"]);
    expect(bob.take()).toEqual(["* ann is now known as anna"]);
    ann.say("/nick BOB", "/nick");
    expect(ann.take()).toEqual([
      'error NAME_TAKEN: the name "BOB" is already in use',
      "error BAD_COMMAND: usage: /nick <new name>",
    ]);
    ann.say("hi");
    expect(bob.take()).toEqual(["anna: hi"]);
  });

  test("/me is an action for the others", () => {
    const { ann, bob } = trio();
    ann.say("/me waves", "/me");
    expect(bob.take()).toEqual(["* ann waves"]);
    expect(ann.take()).toEqual(["error BAD_COMMAND: usage: /me <action>"]);
  });

  test("/quit says bye, closes, and the others see the leave", () => {
    const { ann, bob } = trio();
    ann.say("/quit gotta go");
    expect(ann.take()).toEqual(["* Bye!"]);
    expect(ann.closedCount()).toBe(1);
    expect(bob.take()).toEqual(["* ann left (quit: gotta go)"]);
    ann.say("still here?");
    expect(bob.take()).toEqual([]);
    ann.session.disconnected();
    expect(bob.take()).toEqual([]);
  });

  test("/help lists the commands; an unknown command is an error to the sender only", () => {
    const { ann, bob } = trio();
    ann.say("/help");
    expect(ann.take()).toEqual(HELP_LINES);
    ann.say("/dance now");
    expect(ann.take()).toEqual([
      "error UNKNOWN_COMMAND: /dance is not a command (/help lists them)",
    ]);
    expect(bob.take()).toEqual([]);
  });

  test("a disconnect tells the others, with the reason", () => {
    const { ann, bob } = trio();
    ann.session.disconnected("connection lost");
    expect(bob.take()).toEqual(["* ann left (connection lost)"]);
  });

  test("kick sends the reason and closes; quiet kick tells no one", () => {
    const { ann, bob, cy } = trio();
    ann.session.kick(new ChatError("IDLE_TIMEOUT", "nothing received"));
    expect(ann.take()).toEqual(["error IDLE_TIMEOUT: nothing received"]);
    expect(ann.closedCount()).toBe(1);
    expect(bob.take()).toEqual(["* ann left (idle)"]);
    bob.session.kick(new ChatError("SERVER_STOPPING", "bye"), false);
    expect(cy.take()).toEqual(["* ann left (idle)"]);
  });

  test("an over-long line gets an error and the session goes on", () => {
    const { ann, bob } = trio();
    ann.session.lineTooLong(4096);
    expect(ann.take()).toEqual([
      "error LINE_TOO_LONG: lines are limited to 4096 bytes; it was dropped",
    ]);
    ann.say("ok");
    expect(bob.take()).toEqual(["ann: ok"]);
  });
});

describe("history", () => {
  test("the newest messages are replayed after the welcome, marked", () => {
    const { client } = setup({ floodBurst: 0 });
    const ann = client();
    ann.say("ann");
    const bob = client();
    bob.say("bob");
    for (let i = 1; i <= 25; i++) ann.say(`m${i}`);
    ann.say("/me leaves soon");
    const cy = client();
    cy.take();
    cy.say("cy");
    const got = cy.take();
    expect(got[0]).toStartWith("* Welcome, cy!");
    expect(got[1]).toBe("* The last 20 messages:");
    expect(got.slice(2)).toHaveLength(20);
    expect(got[2]).toBe("[history 12:00:00] ann: m7");
    expect(got.at(-1)).toBe("[history 12:00:00] * ann leaves soon");
  });
});

describe("flood limit", () => {
  test("a burst of 10, then 5 per second; excess lines are refused with a notice", () => {
    const { client, tick } = setup();
    const [ann, bob] = [client(), client()];
    ann.say("ann");
    bob.say("bob");
    ann.take();
    bob.take();
    for (let i = 1; i <= 9; i++) ann.say(`m${i}`); // 9 + the name line = 10
    ann.say("m10");
    expect(bob.take()).toHaveLength(9);
    expect(ann.take()).toEqual([
      "error FLOOD: too many lines (a burst of 10, then 5 per second); this line was dropped",
    ]);
    tick(1000);
    for (let i = 0; i < 6; i++) ann.say(`later${i}`);
    expect(bob.take()).toEqual([
      "ann: later0",
      "ann: later1",
      "ann: later2",
      "ann: later3",
      "ann: later4",
    ]);
    expect(ann.take()).toHaveLength(1);
  });

  test("0 turns it off", () => {
    const { client } = setup({ floodBurst: 0 });
    const [ann, bob] = [client(), client()];
    ann.say("ann");
    bob.say("bob");
    bob.take();
    for (let i = 0; i < 500; i++) ann.say(`m${i}`);
    expect(bob.take()).toHaveLength(500);
  });
});
