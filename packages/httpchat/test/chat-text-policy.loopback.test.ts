// Issue 13, one text policy, in the web chat: POST /chat refuses what the policy refuses with
// 400 and a JSON error naming the code point and position; nothing of it is stored.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { postRefusal, readUtf8Body } from "../src/chat/routes/text-rules.ts";
import { type ChatMessage, startWebChatServer, type WebChatServer } from "../src/index.ts";

let chat: WebChatServer | undefined;
let base = "";

beforeEach(async () => {
  chat = await startWebChatServer({ port: 0, dbPath: ":memory:", postsPerSecond: 0 });
  base = `http://127.0.0.1:${chat.port}`;
});
afterEach(async () => {
  await chat?.stop();
  chat = undefined;
});

const post = (body: string | Uint8Array) => fetch(`${base}/chat`, { method: "POST", body });
const messages = async () =>
  ((await (await fetch(`${base}/messages?since=0`)).json()) as ChatMessage[]).map((m) => [
    m.name,
    m.text,
  ]);

describe("POST /chat over loopback", () => {
  test.each([
    ["ESC in the text", { text: "\u001b[2Jgone" }, "TEXT", "CONTROL", "U+001B ESCAPE", 0],
    ["CR in the text", { text: "fake\rline" }, "TEXT", "CONTROL", "U+000D CARRIAGE RETURN", 4],
    ["NUL in the text", { text: "a\u0000" }, "TEXT", "CONTROL", "U+0000 NULL", 1],
    [
      "C1 CSI in the text",
      { text: "red \u009b31m" },
      "TEXT",
      "CONTROL",
      "U+009B CONTROL SEQUENCE INTRODUCER",
      4,
    ],
    [
      "a bidi override in the text",
      { text: "hello\u202egnp.exe" },
      "TEXT",
      "BIDI_CONTROL",
      "U+202E RIGHT-TO-LEFT OVERRIDE",
      5,
    ],
    [
      "a lone surrogate in the text (JSON allows the escape)",
      { text: "a\ud800" },
      "TEXT",
      "LONE_SURROGATE",
      "U+D800 (lone surrogate)",
      1,
    ],
    [
      "a zero-width space in the name",
      { text: "hi", name: "ad\u200bmin" },
      "NAME",
      "INVISIBLE",
      "U+200B ZERO WIDTH SPACE",
      2,
    ],
    [
      "a bidi override in the name",
      { text: "hi", name: "\u202enimda" },
      "NAME",
      "BIDI_CONTROL",
      "U+202E RIGHT-TO-LEFT OVERRIDE",
      0,
    ],
    [
      "a leading BOM in the name (not trimmed away)",
      { text: "hi", name: "\ufeffann" },
      "NAME",
      "INVISIBLE",
      "U+FEFF ZERO WIDTH NO-BREAK SPACE",
      0,
    ],
  ])("%s → 400 naming it; nothing stored", async (_, body, field, code, what, index) => {
    const res = await post(JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(await res.json()).toEqual({
      error: `${field.toLowerCase()} contains ${what} at ${index}`,
      code,
      field: field.toLowerCase(),
      index,
    });
    expect(await messages()).toEqual([]);
  });

  test("a body that is not UTF-8 → 400 INVALID_UTF8 with the byte offset, not U+FFFD stored", async () => {
    const bytes = new Uint8Array([...Buffer.from('{"text":"caf'), 0xe9, ...Buffer.from('"}')]);
    const res = await post(bytes);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: "body is not valid UTF-8 (byte 0xE9 at 12)",
      code: "INVALID_UTF8",
      field: "body",
      index: 12,
    });
    expect(await messages()).toEqual([]);
  });

  test("tabs, newlines, RTL text with its marks, and spaced names are stored as sent", async () => {
    for (const body of [
      { text: "two\nlines\tand a tab", name: "Ann Lee" },
      { text: "שלום \u200fעולם", name: "  zoë  " },
    ]) {
      expect((await post(JSON.stringify(body))).status).toBe(201);
    }
    expect(await messages()).toEqual([
      ["Ann Lee", "two\nlines\tand a tab"],
      ["zoë", "שלום \u200fעולם"],
    ]);
  });
});

describe("the rules with plain calls", () => {
  test("postRefusal checks the name first, then the text", () => {
    expect(postRefusal("ann", "hello")).toBeUndefined();
    expect(postRefusal("a\u2060b", "x\u001b")?.field).toBe("name");
    expect(postRefusal("ann", "x\u001b")).toMatchObject({ field: "text", code: "CONTROL" });
    expect(postRefusal("ann\u3000lee", "x")?.error).toBe(
      "name contains U+3000 IDEOGRAPHIC SPACE at 3",
    );
  });

  test("readUtf8Body gives the text, or the refusal for bad bytes", async () => {
    const ok = new Request("http://x/", { method: "POST", body: "żółw" });
    expect(await readUtf8Body(ok)).toBe("żółw");
    const bad = new Request("http://x/", { method: "POST", body: Uint8Array.of(0x61, 0xff) });
    expect(await readUtf8Body(bad)).toMatchObject({ code: "INVALID_UTF8", index: 1 });
  });
});
