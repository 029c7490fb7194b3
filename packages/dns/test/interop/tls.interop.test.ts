// DNS over TLS (RFC 7858): kdig +tls and our resolver/lookup against the server's TLS port.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTlsCredentials } from "@netkit/framing";
import { createQuery } from "../../src/codec/message.ts";
import { RecordType } from "../../src/constants.ts";
import { Resolver } from "../../src/resolver/resolver.ts";
import { type DnsServer, startDnsServer } from "../../src/server/server.ts";
import { fixtureZones } from "../server-helpers.ts";
import { requireTool } from "./nsd.ts";
import { KDIG } from "./server-dig.ts";

const hasKdig = requireTool(KDIG, "kdig", "knot-dnsutils");
const dir = mkdtempSync(join(tmpdir(), "dns-tls-"));
const certFile = join(dir, "cert.pem");
const keyFile = join(dir, "key.pem");
const otherCert = join(dir, "other.pem");
let server: DnsServer;

beforeAll(async () => {
  for (const [cert, key] of [
    [certFile, keyFile],
    [otherCert, join(dir, "other.key")],
  ]) {
    await Bun.$`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ${key} -out ${cert} -days 2`.quiet();
  }
  const tls = await loadTlsCredentials(certFile, keyFile);
  server = await startDnsServer({ zones: fixtureZones(), port: 0, tls: { ...tls, port: 0 } });
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("DNS over TLS", () => {
  test.if(hasKdig)(
    "kdig +tls with our certificate trusted gets the authoritative answer",
    async () => {
      const out =
        await Bun.$`${KDIG!} @127.0.0.1 -p ${server.tlsPort!} +tls +tls-ca=${certFile} +tls-hostname=localhost www.example.test A`
          .nothrow()
          .text();
      expect(out).toContain("status: NOERROR");
      expect(out).toMatch(/www\.example\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.3/);
      expect(out).toContain("TLS");
    },
  );

  test("our resolver over TLS verifies the certificate; an untrusted one is an error", async () => {
    const trusted = new Resolver({
      servers: [`127.0.0.1:${server.tlsPort}`],
      tls: { ca: await Bun.file(certFile).text() },
    });
    const result = await trusted.query(createQuery("www.example.test.", RecordType.A));
    expect(result.response.answers[0]?.data).toEqual({ address: "192.0.2.3" });

    const untrusted = new Resolver({
      servers: [`127.0.0.1:${server.tlsPort}`],
      tls: { ca: await Bun.file(otherCert).text() },
      retries: 0,
    });
    await expect(untrusted.query(createQuery("www.example.test.", RecordType.A))).rejects.toThrow(
      /failed verification/,
    );
  });

  test("lookup --tls --ca prints the answer like dig", async () => {
    const main = join(import.meta.dir, "../../../../apps/cli/src/main.ts");
    const out =
      await Bun.$`bun ${main} lookup www.example.test @127.0.0.1 -p ${server.tlsPort!} --tls --ca ${certFile} --short`
        .nothrow()
        .text();
    expect(out.trim()).toBe("192.0.2.3");
  });
});
