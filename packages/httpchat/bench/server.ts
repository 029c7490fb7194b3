// Bench peer process: one Fetch handler served by our server, by Bun.serve (bench only), or a canned-reply floor.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHttpServer } from "@netkit/http";
import {
  type ChatStorage,
  createChatApp,
  MessageStore,
  PostgresMessageStore,
} from "../src/index.ts";

// kind "pg": our server with the store in PostgreSQL at the URL given as third argument.
// With BENCH_TLS_CERT/BENCH_TLS_KEY (PEM files) ours and Bun.serve speak HTTPS, and "ready" gives
// the TLS port.
const [kind = "ours", portText = "0", postgresUrl] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), "httpchat-bench-"));
const store: ChatStorage =
  kind === "pg"
    ? await PostgresMessageStore.open({ url: postgresUrl ?? "" })
    : new MessageStore(join(dir, "bench.sqlite"));
// wrk posts from one address far past the per-address post rate: off, as the DNS bench runs without RRL.
const chat = createChatApp(store, { postsPerSecond: 0 });
const payload = JSON.stringify({ ok: true, service: "httpchat", n: 42 });
const tls =
  process.env.BENCH_TLS_CERT && process.env.BENCH_TLS_KEY
    ? {
        cert: readFileSync(process.env.BENCH_TLS_CERT, "utf8"),
        key: readFileSync(process.env.BENCH_TLS_KEY, "utf8"),
      }
    : undefined;

/** The same handler for every server: a small JSON document, and the chat's routes. */
function handler(request: Request): Response | Promise<Response> {
  if (request.url.endsWith("/json")) {
    return new Response(payload, { headers: { "content-type": "application/json" } });
  }
  return chat.fetch(request);
}

let stop: () => void;
let port: number;
if (kind === "bun") {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: Number(portText),
    fetch: handler,
    ...(tls ? { tls } : {}),
  });
  port = server.port ?? 0;
  stop = () => server.stop(true);
} else if (kind === "floor") {
  // Not HTTP: answers every incoming chunk with one canned response, no parsing, no handler.
  // It shows the most a JS server on Bun.listen can do on this machine.
  const canned = Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n${payload}`,
  );
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: Number(portText),
    socket: {
      data(socket) {
        socket.write(canned);
      },
    },
  });
  port = listener.port;
  stop = () => listener.stop(true);
} else {
  // wrk's 256 connections come from one address: past the per-address cap (64), which Bun.serve lacks.
  const server = await startHttpServer({
    hostname: "127.0.0.1",
    port: Number(portText),
    fetch: handler,
    maxConnectionsPerAddress: 0,
    ...(tls ? { tls: { ...tls, port: 0 } } : {}),
  });
  port = tls ? (server.tlsPort as number) : server.port;
  stop = () => void server.stop();
}

console.log(`ready ${port}`);
process.on("SIGTERM", () => {
  stop();
  chat.close();
  void store.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
