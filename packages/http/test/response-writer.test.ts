// encodeHead's fields: the Content-Type-only shortcut and the forEach walk give the same bytes.
import { expect, test } from "bun:test";
import { encodeHead } from "../src/response-writer.ts";

const date = "Tue, 08 Dec 2026 04:00:00 GMT";
function fieldsOf(headers: Headers): string[] {
  const target = Buffer.alloc(4096);
  const length = encodeHead(
    { status: 200, statusText: "", headers, date, framing: 2, connection: null },
    target,
  );
  const lines = target.subarray(0, length).toString("latin1").split("\r\n");
  expect(lines.slice(0, 2)).toEqual(["HTTP/1.1 200 OK", `Date: ${date}`]);
  expect(lines.slice(-2)).toEqual(["", ""]);
  return lines.slice(2, -3); // without Content-Length and the empty line
}

test("a response's fields, each alone or with others", () => {
  expect(fieldsOf(new Headers())).toEqual([]);
  expect(fieldsOf(new Headers({ "Content-Type": "text/plain" }))).toEqual([
    "content-type: text/plain",
  ]);
  expect(fieldsOf(new Headers({ "X-One": "1" }))).toEqual(["x-one: 1"]);
  expect(fieldsOf(new Headers({ Connection: "upgrade" }))).toEqual([]);
  expect(fieldsOf(new Headers([["set-cookie", "a=1"]]))).toEqual(["set-cookie: a=1"]);
  expect(
    fieldsOf(
      new Headers([
        ["content-type", "text/html"],
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
        ["date", "x"],
      ]),
    ),
  ).toEqual(["content-type: text/html", "set-cookie: a=1", "set-cookie: b=2"]);
});
