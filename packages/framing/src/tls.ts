// TLS for framing's listeners and clients: Bun's built-in TLS (BoringSSL), inside the same
// Connection, so every defence applies to TLS peers as to plain ones.

/** A server's certificate and key, PEM text. */
export interface TlsCredentials {
  /** The certificate chain, PEM. */
  cert: string;
  /** The private key, PEM. */
  key: string;
}

/** A TLS listener beside the plain one, serving the same protocol and limits. */
export interface ListenTlsOptions extends TlsCredentials {
  /** 0 lets the OS pick; read `tlsPort` on the listener. */
  port: number;
}

/** A client's TLS settings: `true` verifies against the system's CAs. */
export type ConnectTlsOptions =
  | true
  | {
      /** PEM of the CA (or self-signed certificate) to trust instead of the system's. */
      ca?: string;
      /** The name the certificate must carry. @default the hostname connected to */
      serverName?: string;
    };

/** A certificate or key that TLS refused, or a peer whose certificate failed verification. */
export class TlsError extends Error {
  override readonly name = "TlsError";
  constructor(
    message: string,
    /** The TLS library's code (KEY_VALUES_MISMATCH, DEPTH_ZERO_SELF_SIGNED_CERT, ...). */
    readonly code: string,
  ) {
    super(message);
  }
}

/** Reads and checks a PEM certificate and key pair from files; throws TlsError if unusable. */
export async function loadTlsCredentials(
  certFile: string,
  keyFile: string,
): Promise<TlsCredentials> {
  const read = async (file: string, what: string) => {
    try {
      return await Bun.file(file).text();
    } catch (error) {
      throw new TlsError(
        `cannot read the TLS ${what} ${file}: ${(error as Error).message}`,
        "ENOENT",
      );
    }
  };
  const credentials = {
    cert: await read(certFile, "certificate"),
    key: await read(keyFile, "key"),
  };
  checkTlsCredentials(credentials, `${certFile}, ${keyFile}`);
  return credentials;
}

/**
 * Throws a TlsError naming the problem (not PEM, key does not match the certificate) unless a
 * listener could serve `credentials`; checked with a throwaway listener on a free loopback port.
 */
export function checkTlsCredentials(credentials: TlsCredentials, where = "certificate/key"): void {
  try {
    const probe = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      tls: credentials,
      socket: { data() {} },
    });
    probe.stop(true);
  } catch (error) {
    const message = (error as Error).message;
    const code = /:([A-Z_]+)$/.exec(message)?.[1] ?? "TLS";
    const why =
      code === "KEY_VALUES_MISMATCH"
        ? "the key does not belong to the certificate"
        : code === "NO_START_LINE"
          ? "not a PEM certificate or key"
          : message;
    throw new TlsError(`TLS ${where} refused: ${why} (${code})`, code);
  }
}
