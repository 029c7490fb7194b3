import { describe, expect, test } from "bun:test";
import { ChatError } from "../src/errors.ts";
import { checkName, nameKey } from "../src/names.ts";
import { Room } from "../src/room.ts";

function inbox() {
  const lines: string[] = [];
  return { lines, deliver: (line: string) => lines.push(line) };
}

function room(historySize?: number) {
  let clock = Date.UTC(2026, 0, 1, 12, 0, 0);
  return new Room<string>({ encode: (l) => l, historySize, nowMs: () => clock++ });
}

describe("names", () => {
  test.each([
    ["", "empty"],
    ["a".repeat(33), "33 characters"],
    ["two words", "a space"],
    ["tab\there", "a tab"],
    ["nb\u00a0sp", "a no-break space"],
    ["bell\u0007", "a control character"],
    ["c1\u0085", "a C1 control character"],
    ["a:b", "a colon"],
    ["/admin", "a leading slash"],
  ])("refuses %j (%s)", (name) => {
    expect(checkName(name)).toEqual(expect.objectContaining({ code: "NAME_INVALID" }));
  });

  test.each([["ann"], ["a".repeat(32)], ["Zoë"], ["日本語"], ["😀".repeat(32)], ["o'brien-2"]])(
    "accepts %j",
    (name) => {
      expect(checkName(name)).toBeUndefined();
    },
  );

  test("compares case-insensitively and after NFC", () => {
    expect(nameKey("ANN")).toBe(nameKey("ann"));
    expect(nameKey("Zo\u00eb")).toBe(nameKey("zoe\u0308"));
  });
});

describe("Room", () => {
  test("join announces the newcomer to the others only", () => {
    const r = room();
    const a = inbox();
    const b = inbox();
    r.join("ann", a.deliver);
    r.join("bob", b.deliver);
    expect(a.lines).toEqual(["* bob joined"]);
    expect(b.lines).toEqual([]);
    expect(r.names()).toEqual(["ann", "bob"]);
  });

  test("a name in use in any letter case is refused; an invalid one too", () => {
    const r = room();
    r.join("Ann", inbox().deliver);
    expect(() => r.join("aNN", inbox().deliver)).toThrow(
      expect.objectContaining({ code: "NAME_TAKEN" }),
    );
    expect(() => r.join("a b", inbox().deliver)).toThrow(
      expect.objectContaining({ code: "NAME_INVALID" }),
    );
    expect(r.size).toBe(1);
  });

  test("say reaches everyone but the sender", () => {
    const r = room();
    const [a, b, c] = [inbox(), inbox(), inbox()];
    const ann = r.join("ann", a.deliver);
    r.join("bob", b.deliver);
    r.join("cy", c.deliver);
    r.say(ann, "hello");
    expect(a.lines).toEqual(["* bob joined", "* cy joined"]);
    expect(b.lines).toEqual(["* cy joined", "ann: hello"]);
    expect(c.lines).toEqual(["ann: hello"]);
  });

  test("each broadcast is encoded once and the same payload goes to every receiver", () => {
    let encodes = 0;
    const r = new Room<{ line: string }>({
      encode: (line) => {
        encodes++;
        return { line };
      },
    });
    const got: { line: string }[] = [];
    const ann = r.join("ann", () => {});
    for (let i = 0; i < 5; i++) r.join(`p${i}`, (p) => got.push(p));
    got.length = 0;
    encodes = 0;
    r.say(ann, "x");
    expect(encodes).toBe(1);
    expect(got).toHaveLength(5);
    expect(new Set(got).size).toBe(1);
  });

  test("leave tells the others, with the reason", () => {
    const r = room();
    const a = inbox();
    r.join("ann", a.deliver);
    const bob = r.join("bob", inbox().deliver);
    const cy = r.join("cy", inbox().deliver);
    r.leave(bob);
    r.leave(cy, "idle");
    r.leave(cy, "twice"); // no second announcement
    expect(a.lines).toEqual(["* bob joined", "* cy joined", "* bob left", "* cy left (idle)"]);
    expect(r.has("bob")).toBe(false);
  });

  test("a receiver that leaves during a broadcast does not break it", () => {
    const r = room();
    const c = inbox();
    const ann = r.join("ann", () => {});
    const bob = r.join("bob", (line) => {
      if (line === "ann: go") r.leave(bob, "slow");
    });
    r.join("cy", c.deliver);
    r.say(ann, "go");
    expect(c.lines).toContain("ann: go");
    expect(c.lines).toContain("* bob left (slow)");
  });

  test("whisper reaches only the target; unknown target is NO_SUCH_USER", () => {
    const r = room();
    const [a, b, c] = [inbox(), inbox(), inbox()];
    const ann = r.join("ann", a.deliver);
    r.join("Bob", b.deliver);
    r.join("cy", c.deliver);
    c.lines.length = 0;
    a.lines.length = 0;
    r.whisper(ann, "bob", "psst");
    expect(b.lines.at(-1)).toBe("[private] ann: psst");
    expect(c.lines).toEqual([]);
    expect(() => r.whisper(ann, "zed", "x")).toThrow(
      expect.objectContaining({ code: "NO_SUCH_USER" }),
    );
  });

  test("rename tells everyone, frees the old name, keeps join order", () => {
    const r = room();
    const [a, b] = [inbox(), inbox()];
    const ann = r.join("ann", a.deliver);
    const bob = r.join("bob", b.deliver);
    r.rename(ann, "anna");
    expect(a.lines.at(-1)).toBe("* ann is now known as anna");
    expect(b.lines.at(-1)).toBe("* ann is now known as anna");
    expect(r.names()).toEqual(["anna", "bob"]);
    expect(() => r.rename(ann, "BOB")).toThrow(expect.objectContaining({ code: "NAME_TAKEN" }));
    r.rename(ann, "ANNA"); // own name in another case is fine
    expect(r.names()).toEqual(["ANNA", "bob"]);
    r.join("ann", inbox().deliver);
    r.say(bob, "hi");
    expect(a.lines.at(-1)).toBe("bob: hi");
  });

  test("history keeps the newest N messages and actions, not joins", () => {
    const r = room(3);
    const ann = r.join("ann", () => {});
    r.join("bob", () => {});
    for (let i = 1; i <= 4; i++) r.say(ann, `m${i}`);
    r.act(ann, "waves");
    expect(r.history().map((h) => h.line)).toEqual(["ann: m3", "ann: m4", "* ann waves"]);
    expect(room(0).history()).toEqual([]);
    expect(() => room(-1)).toThrow(RangeError);
  });
});

test("ChatError renders as an error line", () => {
  expect(new ChatError("FLOOD", "slow down").toLine()).toBe("error FLOOD: slow down");
});
