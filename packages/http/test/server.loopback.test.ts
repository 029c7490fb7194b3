// Loopback tests of the HTTP server with raw sockets: framing, pipelining, and one test per defence.
import { afterEach, describe, expect, test } from "bun:test";
import { type HttpServer, type HttpServerOptions, startHttpServer } from "../src/index.ts";
import { rawRequest, statuses } from "./helpers.ts";

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Echoes the method, path and body as JSON; special paths stream, throw or return no body. */
async function app(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/throw") throw new Error("boom");
  if (url.pathname === "/no-content") return new Response(null, { status: 204 });
  if (url.pathname === "/stream") {
    let n = 0;
    return new Response(
      new ReadableStream({
        async pull(controller) {
          await Bun.sleep(5);
          if (n++ < 3) controller.enqueue(new TextEncoder().encode(`part${n};`));
          else controller.close();
        },
      }),
    );
  }
  const body = request.body ? await request.text() : "";
  return Response.json({ method: request.method, path: url.pathname + url.search, body });
}

async function start(options: Partial<HttpServerOptions> = {}): Promise<number> {
  server = await startHttpServer({ hostname: "127.0.0.1", port: 0, fetch: app, ...options });
  return server.port;
}

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

describe("HTTP/1.1 framing", () => {
  test("answers pipelined requests in order on one connection", async () => {
    const port = await start();
    const reply = await rawRequest(
      port,
      GET("/1") +
        "POST /2 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc" +
        GET("/3", "Connection: close\r\n"),
    );
    expect(statuses(reply.text)).toEqual([200, 200, 200]);
    const bodies = [...reply.text.matchAll(/\{.*?\}/g)].map((m) => JSON.parse(m[0]));
    expect(bodies.map((b) => b.path)).toEqual(["/1", "/2", "/3"]);
    expect(bodies[1].body).toBe("abc");
    expect(reply.closed).toBe(true);
  });

  test("keeps a 1.1 connection open and closes a 1.0 one", async () => {
    const port = await start();
    const kept = await rawRequest(port, GET("/"), { waitMs: 300 });
    expect(statuses(kept.text)).toEqual([200]);
    expect(kept.closed).toBe(false);
    const old = await rawRequest(port, "GET / HTTP/1.0\r\n\r\n");
    expect(old.text).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(old.text).toContain("Connection: close\r\n");
    expect(old.closed).toBe(true);
  });

  test("sends Date and Content-Length, and no body for HEAD, 204", async () => {
    const port = await start();
    const reply = await rawRequest(
      port,
      `HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n${GET("/no-content", "Connection: close\r\n")}`,
    );
    const [head, second] = reply.text.split(/(?=HTTP\/1\.1 204)/);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\nDate: \w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT\r\n/);
    expect(head).toMatch(/Content-Length: \d+\r\n\r\n$/);
    expect(second).toMatch(/^HTTP\/1\.1 204 No Content\r\n/);
    expect(second).not.toContain("Content-Length");
    expect(second).toEndWith("\r\n\r\n");
  });

  test("streams a response body with chunked coding to 1.1 and close-delimited to 1.0", async () => {
    const port = await start();
    const chunked = await rawRequest(port, GET("/stream", "Connection: close\r\n"));
    expect(chunked.text).toContain("Transfer-Encoding: chunked\r\n");
    expect(chunked.text).toEndWith(
      "\r\n\r\n6\r\npart1;\r\n6\r\npart2;\r\n6\r\npart3;\r\n0\r\n\r\n",
    );
    const raw = await rawRequest(port, "GET /stream HTTP/1.0\r\n\r\n");
    expect(raw.text).not.toContain("Transfer-Encoding");
    expect(raw.text).toEndWith("\r\n\r\npart1;part2;part3;");
    expect(raw.closed).toBe(true);
  });

  test("hands the handler a chunked body as a stream", async () => {
    const seen: string[] = [];
    const port = await start({
      async fetch(request) {
        const reader = (request.body as ReadableStream<Uint8Array>).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          seen.push(new TextDecoder().decode(value));
        }
        return new Response(seen.join(""));
      },
    });
    const reply = await rawRequest(
      port,
      [
        "POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n",
        "6\r\n world\r\n0\r\n\r\n",
      ],
      { gapMs: 50 },
    );
    expect(reply.text).toEndWith("\r\n\r\nhello world");
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });

  test("sends 100 Continue only when the handler reads the body", async () => {
    const port = await start();
    const reply = await rawRequest(
      port,
      "POST /c HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n",
      { until: (t) => t.includes("100 Continue"), waitMs: 1000 },
    );
    expect(reply.text).toBe("HTTP/1.1 100 Continue\r\n\r\n");
  });

  test("accepts an absolute-form target", async () => {
    const port = await start();
    const reply = await rawRequest(
      port,
      "GET http://example.test/abs?q=1 HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n",
    );
    expect(reply.text).toContain('"path":"/abs?q=1"');
  });
});

describe("defences", () => {
  const big = "x".repeat(17 * 1024);
  const manyHeaders = Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join("");
  test.each([
    ["a head over 16 KiB", `GET /${big} HTTP/1.1\r\nHost: t\r\n\r\n`, 431],
    ["101 header fields", GET("/", manyHeaders), 431],
    [
      "a Content-Length over the body limit",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n",
      413,
    ],
    [
      "chunks over the body limit",
      `POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n${"y".repeat(1000)}\r\n3e8\r\n`,
      413,
    ],
    ["a malformed request line", "GET /\x01 HTTP/1.1\r\nHost: t\r\n\r\n", 400],
    [
      "Content-Length with Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400,
    ],
    [
      "differing Content-Lengths",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      400,
    ],
    [
      "chunked not last",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
      400,
    ],
    [
      "a bad chunk size",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
      400,
    ],
    [
      "an overflowing chunk size",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff1\r\n",
      400,
    ],
    ["obs-fold", "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n\tb\r\n\r\n", 400],
    ["a bare CR in the head", "GET / HTTP/1.1\r\nHost: t\rX: y\r\n\r\n", 400],
    ["a bare LF in the head", "GET / HTTP/1.1\nHost: t\n\n", 400],
    [
      "a transfer coding other than chunked",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
      501,
    ],
  ])("%s → error status and close", async (_, input, status) => {
    const port = await start({ maxBodyBytes: 1024 });
    const reply = await rawRequest(port, input);
    expect(statuses(reply.text)).toEqual([status]);
    expect(reply.text).toContain("Connection: close\r\n");
    expect(reply.closed).toBe(true);
  });

  test("answers the good requests before a bad pipelined one", async () => {
    const port = await start();
    const reply = await rawRequest(
      port,
      `${GET("/ok")}GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n`,
    );
    expect(statuses(reply.text)).toEqual([200, 400]);
    expect(reply.closed).toBe(true);
  });

  test("slowloris: a head not complete in time → 408 and close", async () => {
    const port = await start({ requestTimeoutMs: 300 });
    const reply = await rawRequest(port, ["GET / HTTP/1.1\r\n", "Host: t\r\n", "X-Slow: 1\r\n"], {
      gapMs: 150,
      waitMs: 3000,
    });
    expect(statuses(reply.text)).toEqual([408]);
    expect(reply.closed).toBe(true);
  });

  test("an idle kept-alive connection is closed after the keep-alive timeout", async () => {
    const port = await start({ keepAliveTimeoutMs: 200 });
    const reply = await rawRequest(port, GET("/"), { waitMs: 3000 });
    expect(statuses(reply.text)).toEqual([200]);
    expect(reply.closed).toBe(true);
  });

  test("connections over the cap get 503 and are closed; the others keep working", async () => {
    const port = await start({ maxConnections: 2 });
    const held = await Promise.all([
      Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }),
      Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }),
    ]);
    await Bun.sleep(50);
    const refused = await rawRequest(port, GET("/"));
    expect(statuses(refused.text)).toEqual([503]);
    expect(refused.closed).toBe(true);
    for (const socket of held) socket.end();
    await Bun.sleep(50);
    const ok = await rawRequest(port, GET("/", "Connection: close\r\n"));
    expect(statuses(ok.text)).toEqual([200]);
  });

  test("a handler that throws → 500, and the connection and server carry on", async () => {
    const events: string[] = [];
    const port = await start({ log: (e) => events.push(e.event) });
    const reply = await rawRequest(port, GET("/throw") + GET("/after", "Connection: close\r\n"));
    expect(statuses(reply.text)).toEqual([500, 200]);
    expect(events).toContain("http.handler_error");
  });

  test("a handler that returns no Response → 500", async () => {
    const port = await start({ fetch: () => "nope" as unknown as Response });
    const reply = await rawRequest(port, GET("/", "Connection: close\r\n"));
    expect(statuses(reply.text)).toEqual([500]);
  });
});

describe("large bodies and backpressure", () => {
  test("a 5 MiB response reaches a reader that pauses, byte for byte", async () => {
    const big = new Uint8Array(5 * 1024 * 1024).map((_, i) => i % 251);
    const port = await start({ fetch: () => new Response(big), maxQueuedBytes: 64 * 1024 });
    const received: Uint8Array[] = [];
    let size = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(s, chunk) {
          received.push(new Uint8Array(chunk));
          size += chunk.length;
          if (received.length === 1) {
            s.pause(); // a slow reader: the server must queue, not drop
            setTimeout(() => s.resume(), 300);
          }
        },
        close() {
          done();
        },
      },
    });
    socket.write("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    await Promise.race([finished, Bun.sleep(10_000)]);
    const all = Buffer.concat(received);
    const bodyStart = all.indexOf("\r\n\r\n") + 4;
    const head = all.subarray(0, bodyStart).toString();
    let body = all.subarray(bodyStart);
    if (head.includes("Transfer-Encoding: chunked")) {
      // Large byte bodies come out of the Response stream in pieces, so they go out chunked.
      const parts: Uint8Array[] = [];
      for (;;) {
        const lineEnd = body.indexOf("\r\n");
        const n = Number.parseInt(body.subarray(0, lineEnd).toString(), 16);
        if (n === 0) break;
        parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + n));
        body = body.subarray(lineEnd + 2 + n + 2);
      }
      body = Buffer.concat(parts);
    } else {
      expect(head).toContain(`Content-Length: ${big.length}`);
    }
    expect(size).toBeGreaterThan(big.length);
    expect(body.length).toBe(big.length);
    expect(Buffer.compare(body, Buffer.from(big))).toBe(0);
  });

  test("a 1 MiB upload with Content-Length arrives whole", async () => {
    const port = await start({
      async fetch(request) {
        const bytes = new Uint8Array(await request.arrayBuffer());
        return new Response(`${bytes.length} ${Bun.hash(bytes)}`);
      },
    });
    const body = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) % 256);
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body });
    expect(await res.text()).toBe(`${body.length} ${Bun.hash(body)}`);
  });
});

test("a Host that makes no valid URL → 400 and close", async () => {
  const port = await start();
  const reply = await rawRequest(port, "GET / HTTP/1.1\r\nHost: a b\r\n\r\n");
  expect(statuses(reply.text)).toEqual([400]);
  expect(reply.closed).toBe(true);
});

test("a handler that throws a TypeError about URLs is still a 500", async () => {
  const port = await start({
    fetch() {
      throw new TypeError("bad URL in my app");
    },
  });
  const reply = await rawRequest(port, GET("/", "Connection: close\r\n"));
  expect(statuses(reply.text)).toEqual([500]);
});

test("a stalled request body → 408 and close", async () => {
  const port = await start({ requestTimeoutMs: 200 });
  const reply = await rawRequest(
    port,
    "POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly a part",
    { waitMs: 3000 },
  );
  expect(statuses(reply.text)).toEqual([408]);
  expect(reply.closed).toBe(true);
});

test("repeated Set-Cookie headers go out once each, on their own lines", async () => {
  const port = await start({
    fetch() {
      const headers = new Headers();
      headers.append("set-cookie", "a=1; Path=/");
      headers.append("set-cookie", "b=2");
      return new Response("ok", { headers });
    },
  });
  const reply = await rawRequest(port, GET("/", "Connection: close\r\n"));
  expect(reply.text.match(/^set-cookie: .*$/gim)).toEqual([
    "set-cookie: a=1; Path=/",
    "set-cookie: b=2",
  ]);
});

test("a repeated request is a fresh Request each time, unchanged by what a handler did", async () => {
  const seen: Request[] = [];
  const port = await start({
    fetch(request) {
      seen.push(request);
      const mark = request.headers.get("x-mark");
      request.headers.set("x-mark", "changed"); // must not reach the next request
      request.headers.append("x-added", "1");
      return new Response(`${request.method} ${new URL(request.url).pathname} ${mark};`);
    },
  });
  const same = GET("/a", "X-Mark: m\r\n");
  const reply = await rawRequest(
    port,
    [
      same,
      same,
      same,
      GET("/a", "X-Mark: n\r\n"),
      same,
      same,
      "HEAD /a HTTP/1.1\r\nHost: t\r\nX-Mark: m\r\n\r\n",
    ],
    { gapMs: 5, until: (t) => statuses(t).length >= 7 },
  );
  expect(statuses(reply.text)).toEqual([200, 200, 200, 200, 200, 200, 200]);
  expect(reply.text.match(/GET \/a \w+;/g)).toEqual([
    "GET /a m;",
    "GET /a m;",
    "GET /a m;",
    "GET /a n;",
    "GET /a m;",
    "GET /a m;",
  ]);
  expect(new Set(seen).size).toBe(7);
  expect(seen.map((r) => r.method)).toEqual(["GET", "GET", "GET", "GET", "GET", "GET", "HEAD"]);
  for (const r of seen) expect([...r.headers.keys()]).toEqual(["host", "x-added", "x-mark"]);
});

test("100 pipelined requests in one write are all answered, in order", async () => {
  const port = await start();
  const requests = Array.from({ length: 100 }, (_, i) => GET(`/${i}`)).join("");
  const reply = await rawRequest(port, requests, {
    waitMs: 5000,
    until: (t) => statuses(t).length >= 100 && t.endsWith("}"),
  });
  const paths = [...reply.text.matchAll(/"path":"\/(\d+)"/g)].map((m) => Number(m[1]));
  expect(paths).toEqual(Array.from({ length: 100 }, (_, i) => i));
});
