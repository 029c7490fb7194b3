// The certificate `up --tls` uses when none is given: self-signed for localhost and 127.0.0.1,
// made once in the data folder with the system's openssl. Bun has no API to create X.509
// certificates, and openssl is on every Debian and macOS machine, so this adds no dependency for
// one call (the npm alternatives, node-forge/selfsigned, would be a library for a one-off).
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadTlsCredentials, type TlsCredentials } from "@netkit/framing";

export interface SelfSigned extends TlsCredentials {
  certFile: string;
  keyFile: string;
  /** SHA-256 of the certificate's DER bytes, as `AB:CD:…` (what browsers and openssl show). */
  fingerprint: string;
  /** True when this call created it (false: reused from an earlier run). */
  created: boolean;
}

/** The SHA-256 fingerprint of the first certificate in a PEM text. */
export function certificateFingerprint(pem: string): string {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1];
  if (!body) throw new Error("no certificate in the PEM text");
  const der = Buffer.from(body.replace(/\s+/g, ""), "base64");
  const hex = new Bun.CryptoHasher("sha256").update(der).digest("hex").toUpperCase();
  return hex.match(/../g)!.join(":");
}

/** Loads `localhost.crt`/`localhost.key` from `dataDir`, creating them first if missing. */
export async function selfSignedCertificate(dataDir: string): Promise<SelfSigned> {
  const certFile = join(dataDir, "tls", "localhost.crt");
  const keyFile = join(dataDir, "tls", "localhost.key");
  let created = false;
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(join(dataDir, "tls"), { recursive: true });
    const result = Bun.spawnSync(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
        "-keyout",
        keyFile,
        "-out",
        certFile,
        "-days",
        "825",
      ],
      { stderr: "pipe" },
    );
    if (!result.success) {
      throw new Error(
        `could not create a self-signed certificate with openssl (is it installed?): ${result.stderr.toString().trim()}`,
      );
    }
    created = true;
  }
  const credentials = await loadTlsCredentials(certFile, keyFile);
  return {
    ...credentials,
    certFile,
    keyFile,
    fingerprint: certificateFingerprint(credentials.cert),
    created,
  };
}
