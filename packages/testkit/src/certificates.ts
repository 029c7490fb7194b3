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

/**
 * The subject line `openssl s_client` prints for the certificate served on 127.0.0.1:`port`
 * (e.g. "subject=CN = localhost"), or "" if none came within `timeoutMs`. s_client's stdin stays
 * open until the subject is printed: `echo | openssl s_client` sometimes hung up on its stdin's
 * EOF before the handshake was done, and printed nothing.
 */
export async function certificateSubject(port: number, timeoutMs = 5000): Promise<string> {
  const child = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "ignore",
  });
  const timer = setTimeout(() => child.kill(), timeoutMs);
  const decoder = new TextDecoder();
  let text = "";
  try {
    for await (const chunk of child.stdout) {
      text += decoder.decode(chunk, { stream: true });
      const line = text.split("\n").find((l) => l.startsWith("subject="));
      if (line !== undefined) return line;
    }
    return "";
  } finally {
    clearTimeout(timer);
    child.kill();
  }
}
