import { expect, test } from "bun:test";
import { bytesBodyOf } from "../src/body-bytes.ts";

const text = (bytes: unknown) => new TextDecoder().decode(bytes as Uint8Array);

test.each([
  ["a string", () => new Response("héllo"), "héllo"],
  ["bytes", () => new Response(new TextEncoder().encode("abc")), "abc"],
  ["Response.json", () => Response.json({ a: 1 }), '{"a":1}'],
  [
    "a string with a statusText",
    () => new Response("a longer body", { statusText: "Fine" }),
    "a longer body",
  ],
])("takes %s whole, synchronously", (_, make, expected) => {
  const bytes = bytesBodyOf(make());
  expect(bytes).toBeInstanceOf(Uint8Array);
  expect(text(bytes)).toBe(expected);
});

test("leaves a streamed body unread", async () => {
  const response = new Response(
    new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("first"));
      },
      pull() {}, // never ends, like an event stream
    }),
  );
  expect(bytesBodyOf(response)).toBeUndefined();
  expect(response.bodyUsed).toBe(false);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  expect(text((await reader.read()).value)).toBe("first");
  await reader.cancel();
});

test("leaves file bodies, empty bodies and used bodies to the stream path", async () => {
  expect(bytesBodyOf(new Response(Bun.file(import.meta.path)))).toBeUndefined();
  expect(bytesBodyOf(new Response(null))).toBeUndefined();
  const used = new Response("read already");
  await used.text();
  expect(bytesBodyOf(used)).toBeUndefined();
});
