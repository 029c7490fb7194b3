// Leaving HTTP on a connection: switchProtocols hands the bytes after an upgrade request (those
// that came with it, and later ones) to another protocol; an upgrade answered in HTTP goes on as HTTP.
import { afterEach, expect, test } from "bun:test";
import { type HttpServer, startHttpServer, switchProtocols } from "../src/index.ts";
import { rawRequest, statuses } from "./helpers.ts";

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Upgrade: shout is a toy protocol answering every chunk in capitals; other upgrades get 426. */
async function start(): Promise<number> {
  server = await startHttpServer({
    port: 0,
    fetch(request) {
      if (request.headers.get("upgrade") === "shout") {
        return switchProtocols(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\n",
          (connection) => ({
            onData: (chunk) =>
              connection.sendBytes(Buffer.from(Buffer.from(chunk).toString().toUpperCase())),
          }),
        );
      }
      if (request.headers.has("upgrade")) {
        return new Response("no such protocol\n", { status: 426, headers: { upgrade: "shout" } });
      }
      if (new URL(request.url).pathname === "/switch") {
        return switchProtocols("HTTP/1.1 101 Switching Protocols\r\n\r\n", () => ({
          onData() {},
        }));
      }
      return new Response("plain\n");
    },
  });
  return server.port;
}

const UPGRADE = (protocol: string) =>
  `GET /s HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: ${protocol}\r\n\r\n`;

test("bytes sent with the upgrade request and after it reach the new protocol, not the HTTP parser", async () => {
  const port = await start();
  const reply = await rawRequest(port, [`${UPGRADE("shout")}hello, `, "GET / HTTP/1.1\r\n"], {
    gapMs: 50,
    until: (text) => text.includes("GET / HTTP/1.1"),
  });
  expect(reply.text).toStartWith("HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\n");
  expect(reply.text).toEndWith("\r\n\r\nHELLO, GET / HTTP/1.1\r\n");
  expect(reply.closed).toBe(false);
});

test("an upgrade answered in HTTP leaves the connection HTTP: the pipelined request is answered", async () => {
  const port = await start();
  const reply = await rawRequest(
    port,
    `${UPGRADE("h2c")}GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
  );
  expect(statuses(reply.text)).toEqual([426, 200]);
  expect(reply.text).toEndWith("plain\n");
  expect(reply.closed).toBe(true);
});

test("switchProtocols for a request that did not ask to upgrade is a 500, and HTTP goes on", async () => {
  const port = await start();
  const reply = await rawRequest(
    port,
    "GET /switch HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
  );
  expect(statuses(reply.text)).toEqual([500, 200]);
});

test("an HTTP/1.0 request's Upgrade is ignored (RFC 9110 §7.8)", async () => {
  const port = await start();
  const reply = await rawRequest(
    port,
    "GET /s HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: shout\r\n\r\n",
  );
  expect(statuses(reply.text)).toEqual([500]);
});
