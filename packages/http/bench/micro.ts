// In-process microbench: the server's socket handlers driven by fake sockets (no kernel), to
// measure the JS cost of one request. `bun run bench` (MICRO_REQUESTS, MICRO_CONNS, MICRO_PIPELINE).
import { bytes, listen } from "@netkit/framing";
import { startHttpServer } from "../src/index.ts";

const REQUESTS = Number(process.env.MICRO_REQUESTS ?? 400_000);
const CONNS = Number(process.env.MICRO_CONNS ?? 50);
/** Requests per socket data event (1 = wrk's one-at-a-time; more = pipelined). */
const PIPELINE = Number(process.env.MICRO_PIPELINE ?? 1);
const ROUNDS = Number(process.env.MICRO_ROUNDS ?? 3);
/** "post": a small JSON POST whose handler reads the body, as httpchat's POST /chat does. */
const POST = process.env.MICRO_POST === "1";
/** "1": no HTTP, framing's listen() in byte-stream mode answering each chunk with a canned reply. */
const FLOOR = process.env.MICRO_FLOOR === "1";

type Handlers = {
  open(s: unknown): void;
  data(s: unknown, chunk: Uint8Array): void;
  close(s: unknown, error?: Error): void;
};
let handlers: Handlers | undefined;
const realListen = Bun.listen;
// Capture the handlers framing's listen() gives Bun, and hand it a server that binds nothing.
(Bun as { listen: unknown }).listen = (options: { socket: Handlers; data?: unknown }) => {
  handlers = options.socket;
  return { port: 1, hostname: "127.0.0.1", stop() {}, unref() {} };
};

const payload = JSON.stringify({ ok: true, service: "httpchat", n: 42 });
const canned = Buffer.from(
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n${payload}`,
);
const server = FLOOR
  ? (() => {
      const listener = listen<Uint8Array, Uint8Array | string>({
        port: 0,
        protocol: bytes(),
        maxConnectionsPerAddress: 0,
        onMessage(connection) {
          connection.sendBytesNow(canned);
        },
      });
      return { stop: () => listener.stop() };
    })()
  : await startHttpServer({
      port: 0,
      maxConnectionsPerAddress: 0,
      // Under valgrind a turn can take seconds: keep the deadlines (same code path) out of the way.
      keepAliveTimeoutMs: 3_600_000,
      requestTimeoutMs: 3_600_000,
      fetch: (request) => {
        if (request.method === "POST") {
          return request
            .json()
            .then((message) =>
              Response.json({ id: 1, text: (message as { text: string }).text }, { status: 201 }),
            );
        }
        return request.url.endsWith("/json")
          ? new Response(payload, { headers: { "content-type": "application/json" } })
          : new Response("not found", { status: 404 });
      },
    });
(Bun as { listen: unknown }).listen = realListen;
if (!handlers) throw new Error("listen() did not call Bun.listen");
const h = handlers;

let responses = 0;
function fakeSocket() {
  return {
    data: {} as Record<string, unknown>,
    remoteAddress: "127.0.0.1",
    remotePort: 40000,
    write(bytes: Uint8Array) {
      // Count responses by the status line each write starts with (the server writes a small
      // response, head and body, at once); scanning every byte was a tenth of the total.
      if (bytes[0] === 72 && bytes[1] === 84 && bytes[2] === 84 && bytes[3] === 80) responses++;
      return bytes.length;
    },
    end() {},
    terminate() {},
    shutdown() {},
    pause() {},
    resume() {},
  };
}

const postBody = JSON.stringify({ name: "bench", text: "hello from the bench" });
const request = POST
  ? `POST /chat HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: ${postBody.length}\r\n\r\n${postBody}`
  : "GET /json HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
const chunk = Buffer.from(request.repeat(PIPELINE), "latin1");
const sockets = Array.from({ length: CONNS }, fakeSocket);
for (const s of sockets) h.open(s);
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** CPU time (all threads: JIT, GC), not wall time: other work shares this machine. */
const cpuNs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};

async function run(requests: number): Promise<number> {
  const start = cpuNs();
  responses = 0;
  for (let sent = 0; sent < requests; ) {
    for (const s of sockets) {
      // binaryType "uint8array": Bun hands each data event a fresh Uint8Array, not a Buffer.
      h.data(s, new Uint8Array(chunk));
      sent += PIPELINE;
    }
    await turn();
  }
  await turn();
  const ns = cpuNs() - start;
  if (responses !== Math.ceil(requests / (CONNS * PIPELINE)) * CONNS * PIPELINE)
    throw new Error(`expected ${requests} responses, got ${responses}`);
  return ns / responses;
}

await run(Number(process.env.MICRO_WARMUP ?? 50_000)); // warm up the JIT
const results: number[] = [];
for (let i = 0; i < ROUNDS; i++) results.push(await run(REQUESTS));
console.log(
  `${FLOOR ? "framing floor" : POST ? "POST /chat" : "GET /json"}, ${CONNS} conns, pipeline ${PIPELINE}: ${results.map((ns) => (ns / 1000).toFixed(3)).join(" / ")} µs CPU per request (best ${(Math.min(...results) / 1000).toFixed(3)})`,
);
for (const s of sockets) h.close(s);
await server.stop();
