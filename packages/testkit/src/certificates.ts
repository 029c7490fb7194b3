// Throwaway TLS certificates for tests, made by the system's openssl (as `up --tls` does).
import { join } from "node:path";

/** A self-signed certificate and its key, as files and as PEM text. */
export interface TestCertificate {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
  /** base64 SHA-256 of the public key: Chromium trusts it with --ignore-certificate-errors-spki-list. */
  spki: string;
}

/**
 * Makes `DIR/NAME.crt` and `DIR/NAME.key`: a P-256 certificate with subject CN=`cn`, valid two days
 * for localhost and 127.0.0.1.
 */
export async function makeTestCertificate(
  dir: string,
  name: string,
  cn = "localhost",
): Promise<TestCertificate> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await Bun.$`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=${cn} -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ${keyFile} -out ${certFile} -days 2`.quiet();
  const spki =
    await Bun.$`openssl x509 -in ${certFile} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`.text();
  return {
    certFile,
    keyFile,
    cert: await Bun.file(certFile).text(),
    key: await Bun.file(keyFile).text(),
    spki: spki.trim(),
  };
}
