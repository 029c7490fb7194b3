// Real curl against the server on loopback: keep-alive reuse, chunked upload, 100-continue, HEAD, HTTP/1.0.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { requireTool } from "@netkit/testkit";
import { type HttpServer, startHttpServer } from "../../src/index.ts";

const curl = requireTool("curl", "curl");
let server: HttpServer;
let base = "";

beforeAll(async () => {
  server = await startHttpServer({
    port: 0,
    async fetch(request) {
      const body = request.body ? await request.text() : "";
      return Response.json({ method: request.method, path: new URL(request.url).pathname, body });
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop());

/** Runs curl without blocking the event loop the server runs on. */
async function run(args: string[], stdin?: string) {
  const child = Bun.spawn([curl as string, "-sS", "-m", "10", ...args], {
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

test.skipIf(!curl)("the seed's curl line works as written", async () => {
  const r = await run(["-v", "-d", '{"text":"Hello World!"}', `${base}/chat`]);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({
    method: "POST",
    path: "/chat",
    body: '{"text":"Hello World!"}',
  });
});

test.skipIf(!curl)("reuses one keep-alive connection for several URLs", async () => {
  const r = await run(["-v", `${base}/a`, `${base}/b`, `${base}/c`]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('"path":"/c"');
  expect(r.stderr.match(/Connected to/g)?.length).toBe(1);
  expect(r.stderr).toMatch(/Re-using existing connection|Reusing existing connection/);
});

test.skipIf(!curl)("uploads a chunked body", async () => {
  const payload = "x".repeat(100_000);
  const r = await run(
    ["-H", "Transfer-Encoding: chunked", "--data-binary", "@-", `${base}/up`],
    payload,
  );
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).body).toBe(payload);
});

test.skipIf(!curl)("waits for 100 Continue before sending the body", async () => {
  const r = await run(["-v", "-H", "Expect: 100-continue", "-d", "hello", `${base}/expect`]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain("HTTP/1.1 100 Continue");
  expect(JSON.parse(r.stdout).body).toBe("hello");
});

test.skipIf(!curl)("HEAD gets the head only", async () => {
  const r = await run(["-I", `${base}/head`]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  expect(r.stdout).toMatch(/Content-Length: \d+/);
  expect(r.stdout).not.toContain("{");
});

test.skipIf(!curl)("speaks HTTP/1.0", async () => {
  const r = await run(["-v", "--http1.0", `${base}/old`]);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).path).toBe("/old");
  expect(r.stderr).toContain("> GET /old HTTP/1.0");
});
