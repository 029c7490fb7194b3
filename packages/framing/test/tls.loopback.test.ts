// TLS inside the same listener and Connection: our client, openssl s_client, bad pairs, reload.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certificateSubject } from "@netkit/testkit";
import {
  connect,
  type Listener,
  lines,
  listen,
  loadTlsCredentials,
  type TlsCredentials,
  TlsError,
} from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "framing-tls-"));
let good: TlsCredentials;
let other: TlsCredentials;

/** A self-signed certificate for localhost/127.0.0.1 made with the system's openssl. */
async function makeCert(name: string, cn: string): Promise<TlsCredentials> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await Bun.$`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=${cn} -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ${key} -out ${cert} -days 2`.quiet();
  return loadTlsCredentials(cert, key);
}

let server: Listener<string, string>;
beforeAll(async () => {
  good = await makeCert("good", "localhost");
  other = await makeCert("other", "other");
  server = listen<string, string>({
    port: 0,
    protocol: lines(),
    tls: { port: 0, ...good },
    onMessage: (c, m) => c.send(c.secure && m === "secure?" ? "YES" : m.toUpperCase()),
  });
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("TLS", () => {
  test("the same service on the plain and the TLS port; our client verifies with --ca", async () => {
    expect(server.tlsPort).toBeGreaterThan(0);
    for (const [port, tls] of [
      [server.port, undefined],
      [server.tlsPort!, { ca: good.cert }],
    ] as const) {
      const client = await connect({ hostname: "127.0.0.1", port, protocol: lines(), tls });
      client.send("hello");
      expect(await client.receive()).toBe("HELLO");
      client.close();
    }
  });

  test("connection.secure tells TLS peers from plain ones, on both ends", async () => {
    for (const [port, tls, answer] of [
      [server.port, undefined, "SECURE?"],
      [server.tlsPort!, { ca: good.cert }, "YES"],
    ] as const) {
      const client = await connect({ hostname: "127.0.0.1", port, protocol: lines(), tls });
      expect(client.secure).toBe(tls !== undefined);
      client.send("secure?");
      expect(await client.receive()).toBe(answer);
      client.close();
    }
  });

  test("openssl s_client talks to the TLS port", async () => {
    const client = Bun.spawn(
      [
        "openssl",
        "s_client",
        "-quiet",
        "-connect",
        `127.0.0.1:${server.tlsPort}`,
        "-CAfile",
        join(dir, "good.crt"),
        "-verify_return_error",
      ],
      { stdin: "pipe", stdout: "pipe", stderr: "ignore" },
    );
    client.stdin.write("secret\n");
    await client.stdin.flush();
    const reader = client.stdout.getReader();
    let out = "";
    const deadline = Date.now() + 4000;
    while (!out.includes("SECRET") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    client.kill();
    expect(out).toContain("SECRET");
  });

  test("an untrusted certificate is a clear error, never clear text", async () => {
    const untrusted = connect({
      hostname: "127.0.0.1",
      port: server.tlsPort!,
      protocol: lines(),
      tls: { ca: other.cert },
    });
    await expect(untrusted).rejects.toThrow(/failed verification: self.signed certificate/);
    await expect(untrusted).rejects.toBeInstanceOf(TlsError);
    const wrongName = connect({
      hostname: "127.0.0.1",
      port: server.tlsPort!,
      protocol: lines(),
      tls: { ca: good.cert, serverName: "wrong.example" },
    });
    await expect(wrongName).rejects.toThrow(/does not match|altnames/);
  });

  test("with the system's CAs, a self-signed certificate fails at once, not at connectTimeoutMs", async () => {
    // Bun's own rejection (1.4.5) calls neither `handshake` nor `close` for this case: a client
    // relying on it waited the whole connect timeout and learned nothing.
    const started = performance.now();
    const systemCas = connect({
      hostname: "127.0.0.1",
      port: server.tlsPort!,
      protocol: lines(),
      tls: {},
      connectTimeoutMs: 10_000,
    });
    await expect(systemCas).rejects.toThrow(/failed verification: self.signed certificate/);
    await expect(systemCas).rejects.toBeInstanceOf(TlsError);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  test("a mismatched key or a file that is not PEM refuses start-up with a clear error", () => {
    const start = (tls: TlsCredentials) =>
      listen({ port: 0, protocol: lines(), tls: { port: 0, ...tls }, onMessage() {} });
    expect(() => start({ cert: good.cert, key: other.key })).toThrow(
      /key does not belong to the certificate/,
    );
    expect(() => start({ cert: "not a cert", key: "nope" })).toThrow(/not a PEM/);
  });

  test("reloadTls swaps the certificate; an established TLS connection carries on", async () => {
    const listener = listen<string, string>({
      port: 0,
      protocol: lines(),
      tls: { port: 0, ...good },
      onMessage: (c, m) => c.send(m),
    });
    const before = await connect({
      hostname: "127.0.0.1",
      port: listener.tlsPort!,
      protocol: lines(),
      tls: { ca: good.cert },
    });
    expect(() => listener.reloadTls({ cert: other.cert, key: good.key })).toThrow(TlsError);
    listener.reloadTls(other);
    expect(await certificateSubject(listener.tlsPort!)).toContain("CN = other");
    before.send("still here");
    expect(await before.receive()).toBe("still here");
    before.close();
    await listener.stop();
  });
});
