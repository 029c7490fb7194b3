// LoginThrottle with an injected clock, and the input rules.
import { describe, expect, test } from "bun:test";
import { LoginThrottle, passwordProblem, textProblem, usernameProblem } from "../src/index.ts";

describe("LoginThrottle", () => {
  test("blocks a name after its failures, until the oldest leaves the window", () => {
    let now = 1_000_000;
    const t = new LoginThrottle({
      maxFailuresPerName: 3,
      maxFailuresPerAddress: 100,
      failureWindowMs: 60_000,
      now: () => now,
    });
    for (let i = 0; i < 3; i++) {
      expect(t.retryAfterMs("bob", "a")).toBe(0);
      t.recordFailure("bob", "a");
      now += 1000;
    }
    expect(t.retryAfterMs("bob", "b")).toBe(60_000 - 3000);
    expect(t.retryAfterMs("ann", "a")).toBe(0);
    now += 57_000;
    expect(t.retryAfterMs("bob", "a")).toBe(0);
  });

  test("blocks an address across names", () => {
    let now = 0;
    const t = new LoginThrottle({
      maxFailuresPerName: 100,
      maxFailuresPerAddress: 2,
      failureWindowMs: 10_000,
      now: () => now,
    });
    t.recordFailure("x", "10.0.0.1");
    t.recordFailure("y", "10.0.0.1");
    expect(t.retryAfterMs("z", "10.0.0.1")).toBe(10_000);
    expect(t.retryAfterMs("z", "10.0.0.2")).toBe(0);
    now = 10_001;
    expect(t.retryAfterMs("z", "10.0.0.1")).toBe(0);
  });

  test("a success clears the name's failures but not the address's", () => {
    const t = new LoginThrottle({ maxFailuresPerName: 1, maxFailuresPerAddress: 2, now: () => 5 });
    t.recordFailure("bob", "a");
    expect(t.retryAfterMs("bob", "b")).toBeGreaterThan(0);
    t.recordSuccess("bob");
    expect(t.retryAfterMs("bob", "b")).toBe(0);
    t.recordFailure("cy", "a");
    expect(t.retryAfterMs("dee", "a")).toBeGreaterThan(0);
  });
});

describe("input rules", () => {
  test.each([
    ["a", null],
    ["x".repeat(32), null],
    ["日本語", null],
    ["", "username is empty"],
    ["x".repeat(33), "username longer than 32 characters"],
    ["a\u00a0b", "username contains a space or control character"],
    ["a\u0085b", "username contains a space or control character"],
    ["line\nbreak", "username contains a space or control character"],
  ])("username %j", (name, problem) => {
    expect(usernameProblem(name)).toBe(problem);
  });

  test("texts: 4096 bytes counted in UTF-8, tab and newline allowed, other controls not", () => {
    expect(textProblem("é".repeat(2048))).toBeNull();
    expect(textProblem("é".repeat(2049))).toBe("text of 4098 bytes exceeds 4096");
    expect(textProblem("a\tb\nc")).toBeNull();
    expect(textProblem("a\rb")).toBe("text contains a control character");
    expect(textProblem("\u007f")).toBe("text contains a control character");
  });

  test("passwords", () => {
    expect(passwordProblem("abcdefgh")).toBeNull();
    expect(passwordProblem("abc")).toMatch(/at least 8/);
    expect(passwordProblem("abababab")).toMatch(/distinct/);
    expect(passwordProblem("ab1".repeat(400))).toMatch(/longer than 1024/);
  });
});
