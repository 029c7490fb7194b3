// Unit tests of the request parser: valid streams at every split point, a table of hostile heads, fuzz.
import { describe, expect, test } from "bun:test";
import { prng } from "@netkit/testkit";
import { type ParserLimits, type RequestHead, RequestParser } from "../src/index.ts";

interface Parsed {
  head: RequestHead;
  body: string;
  complete: boolean;
}

function collect(limits?: ParserLimits) {
  const requests: Parsed[] = [];
  const parser = new RequestParser(
    {
      onHead(head) {
        requests.push({ head, body: "", complete: false });
      },
      onBody(data) {
        (requests.at(-1) as Parsed).body += Buffer.from(data).toString("latin1");
      },
      onEnd() {
        (requests.at(-1) as Parsed).complete = true;
      },
    },
    limits,
  );
  return { parser, requests };
}

function parseAll(input: string, limits?: ParserLimits): Parsed[] {
  const { parser, requests } = collect(limits);
  parser.push(Buffer.from(input, "latin1"));
  return requests;
}

const PIPELINE =
  "GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n" +
  "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello" +
  "PUT http://example.test:81/c HTTP/1.1\r\nHost: example.test:81\r\nTransfer-Encoding: chunked\r\n\r\n" +
  "3;ext=1\r\nabc\r\n0A\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n" +
  "\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" +
  "HEAD /h HTTP/1.1\r\nhost: h\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n";

function summary(requests: Parsed[]) {
  return requests.map((r) => ({
    method: r.head.method,
    target: r.head.target,
    minor: r.head.versionMinor as number,
    keepAlive: r.head.keepAlive,
    body: r.body,
    complete: r.complete,
  }));
}

const EXPECTED = [
  { method: "GET", target: "/a?x=1", minor: 1, keepAlive: true, body: "", complete: true },
  { method: "POST", target: "/b", minor: 1, keepAlive: true, body: "hello", complete: true },
  {
    method: "PUT",
    target: "http://example.test:81/c",
    minor: 1,
    keepAlive: true,
    body: "abc0123456789",
    complete: true,
  },
  { method: "GET", target: "/", minor: 0, keepAlive: true, body: "", complete: true },
  { method: "HEAD", target: "/h", minor: 1, keepAlive: false, body: "", complete: true },
];

describe("RequestParser", () => {
  test("parses a pipeline of requests of every framing", () => {
    const requests = parseAll(PIPELINE);
    expect(summary(requests)).toEqual(EXPECTED);
    expect(requests[0]?.head.headers).toEqual([
      ["Host", "h"],
      ["X-Multi", "1"],
      ["x-multi", "2"],
    ]);
    expect(requests[4]?.head.expectContinue).toBe(true);
    expect(requests[2]?.head.body).toEqual({ kind: "chunked" });
    expect(requests[1]?.head.body).toEqual({ kind: "length", length: 5 });
  });

  test("gives the same result at every split point", () => {
    const bytes = Buffer.from(PIPELINE, "latin1");
    for (let cut = 1; cut < bytes.length; cut++) {
      const { parser, requests } = collect();
      parser.push(bytes.subarray(0, cut));
      parser.push(bytes.subarray(cut));
      expect(summary(requests)).toEqual(EXPECTED);
    }
  });

  test("gives the same result byte by byte", () => {
    const { parser, requests } = collect();
    for (const byte of Buffer.from(PIPELINE, "latin1")) parser.push(Uint8Array.of(byte));
    expect(summary(requests)).toEqual(EXPECTED);
  });

  test("trims optional whitespace around field values", () => {
    const [r] = parseAll("GET / HTTP/1.1\r\nHost:h\r\nA: \t x y \t\r\n\r\n");
    expect(r?.head.headers).toEqual([
      ["Host", "h"],
      ["A", "x y"],
    ]);
  });

  test("HTTP/1.0 closes by default, HTTP/1.1 keeps alive, Connection overrides", () => {
    const r = parseAll(
      "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n",
    );
    expect(r.map((x) => x.head.keepAlive)).toEqual([false, true, false]);
  });

  test("accepts identical repeated Content-Length values", () => {
    const [r] = parseAll(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
    );
    expect(r?.body).toBe("ok");
  });

  test("a body-less request is complete right after its head", () => {
    const { parser, requests } = collect();
    parser.push(Buffer.from("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"));
    expect(requests[0]?.complete).toBe(true);
    expect(parser.phase).toBe("start-line");
  });

  test("reports when a head is partly received", () => {
    const { parser } = collect();
    expect(parser.isInHead).toBe(false);
    parser.push(Buffer.from("GET / HT"));
    expect(parser.isInHead).toBe(true);
    parser.push(Buffer.from("TP/1.1\r\nHost: h\r\n"));
    expect(parser.phase).toBe("headers");
    parser.push(Buffer.from("\r\n"));
    expect(parser.isInHead).toBe(false);
  });

  const big = "a".repeat(17 * 1024);
  const manyHeaders = Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join("");
  test.each([
    ["a garbage request line", "HELLO\r\n\r\n", "BAD_REQUEST_LINE", 400],
    ["a lower-case version", "GET / http/1.1\r\nHost: h\r\n\r\n", "BAD_REQUEST_LINE", 400],
    ["two spaces in the request line", "GET  / HTTP/1.1\r\n\r\n", "BAD_REQUEST_LINE", 400],
    ["a relative target", "GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", "BAD_REQUEST_LINE", 400],
    ["HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", "BAD_VERSION", 505],
    ["CONNECT", "CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", "UNSUPPORTED_METHOD", 501],
    ["a missing Host in 1.1", "GET / HTTP/1.1\r\n\r\n", "MISSING_HOST", 400],
    ["two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "BAD_HEADER", 400],
    ["a bare LF ending a line", "GET / HTTP/1.1\nHost: h\r\n\r\n", "BAD_LINE_ENDING", 400],
    ["a bare LF ending the head", "GET / HTTP/1.1\r\nHost: h\r\n\n", "BAD_LINE_ENDING", 400],
    ["a bare CR in a value", "GET / HTTP/1.1\r\nHost: h\r\nA: x\ry\r\n\r\n", "BAD_HEADER", 400],
    [
      "a bare CR in the request line",
      "GET /\r HTTP/1.1\r\nHost: h\r\n\r\n",
      "BAD_REQUEST_LINE",
      400,
    ],
    ["obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nA: x\r\n  y\r\n\r\n", "OBS_FOLD", 400],
    ["a space before the colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", "BAD_HEADER", 400],
    ["a NUL in a value", "GET / HTTP/1.1\r\nHost: h\r\nA: \0\r\n\r\n", "BAD_HEADER", 400],
    ["an empty field name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", "BAD_HEADER", 400],
    [
      "Content-Length with Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "CONFLICTING_LENGTH",
      400,
    ],
    [
      "differing Content-Lengths",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
      "CONFLICTING_LENGTH",
      400,
    ],
    [
      "a negative Content-Length",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
      "BAD_CONTENT_LENGTH",
      400,
    ],
    [
      "a Content-Length list",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n",
      "BAD_CONTENT_LENGTH",
      400,
    ],
    [
      "a huge Content-Length",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "BAD_CONTENT_LENGTH",
      400,
    ],
    [
      "chunked not last",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      "CHUNKED_NOT_LAST",
      400,
    ],
    [
      "chunked twice",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "CHUNKED_NOT_LAST",
      400,
    ],
    [
      "gzip",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
      "UNSUPPORTED_TRANSFER_CODING",
      501,
    ],
    [
      "gzip, chunked",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "UNSUPPORTED_TRANSFER_CODING",
      501,
    ],
    ["TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "BAD_HEADER", 400],
    [
      "a non-hex chunk size",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "BAD_CHUNK",
      400,
    ],
    [
      "an empty chunk size",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
      "BAD_CHUNK",
      400,
    ],
    [
      "a negative chunk size",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
      "BAD_CHUNK",
      400,
    ],
    [
      "an overflowing chunk size",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000000000001\r\n",
      "BAD_CHUNK",
      400,
    ],
    [
      "chunk data without CRLF",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
      "BAD_CHUNK",
      400,
    ],
    [
      "a bare LF after a chunk size",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n",
      "BAD_LINE_ENDING",
      400,
    ],
    ["an oversized head", `GET /${big} HTTP/1.1\r\nHost: h\r\n\r\n`, "HEADERS_TOO_LARGE", 431],
    ["an oversized unfinished head", `GET /${big}`, "HEADERS_TOO_LARGE", 431],
    [
      "101 header fields",
      `GET / HTTP/1.1\r\nHost: h\r\n${manyHeaders}\r\n`,
      "TOO_MANY_HEADERS",
      431,
    ],
    [
      "a body over the limit",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n",
      "BODY_TOO_LARGE",
      413,
    ],
    [
      "chunks over the limit",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n",
      "BODY_TOO_LARGE",
      413,
    ],
  ])("rejects %s", (_, input, code, status) => {
    const { parser } = collect({ maxBodyBytes: 1024 * 1024 });
    expect(() => parser.push(Buffer.from(input, "latin1"))).toThrow(
      expect.objectContaining({ code, status }),
    );
    expect(parser.phase).toBe("done");
  });

  test("fuzz: random bytes and mutated requests never escape as anything but HttpError", () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const base = Buffer.from(PIPELINE, "latin1");
    const alphabet = Buffer.from("\r\n :;0aAzZ\t\x00\x7f\xff-/,chunked", "latin1");
    try {
      for (let round = 0; round < 3000; round++) {
        const input = Buffer.from(base);
        const edits = 1 + Math.floor(random() * 6);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(random() * input.length);
          input[at] = alphabet[Math.floor(random() * alphabet.length)] as number;
        }
        const { parser, requests } = collect({ maxBodyBytes: 4096 });
        let pos = 0;
        try {
          while (pos < input.length) {
            const n = 1 + Math.floor(random() * 40);
            parser.push(input.subarray(pos, pos + n));
            pos += n;
          }
        } catch (error) {
          expect(error).toHaveProperty("name", "HttpError");
          expect(error).toHaveProperty("code");
        }
        for (const r of requests) expect(r.body.length).toBeLessThanOrEqual(4096);
      }
      for (let round = 0; round < 500; round++) {
        const noise = Buffer.alloc(1 + Math.floor(random() * 300));
        for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(random() * 256);
        const { parser } = collect();
        try {
          parser.push(noise);
        } catch (error) {
          expect(error).toHaveProperty("name", "HttpError");
        }
      }
    } catch (error) {
      console.error(`fuzz failed with FUZZ_SEED=${seed}`);
      throw error;
    }
  });
});
