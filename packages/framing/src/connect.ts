// connect(): a TCP client Connection speaking one protocol.
import type { Socket, SocketHandler } from "bun";
import {
  Connection,
  type ConnectionHooks,
  type ConnectionOptions,
  type SocketSlot,
} from "./connection.ts";
import type { Protocol } from "./protocol.ts";
import { type ConnectTlsOptions, TlsError } from "./tls.ts";

/** Options of `connect`: where to, the protocol, the connection's limits and hooks. */
export interface ConnectOptions<In, Out> extends ConnectionOptions, ConnectionHooks<In, Out> {
  hostname: string;
  port: number;
  protocol: Protocol<In, Out>;
  /** Give up connecting after this long. @default 10000 */
  connectTimeoutMs?: number;
  /**
   * Speak TLS. The certificate is always verified (against `ca` when given, else the system's
   * CAs, and for `serverName` or the hostname); a failure rejects with TlsError, never falls
   * back to clear text.
   */
  tls?: ConnectTlsOptions;
}

/** Connects to a server; resolves once the connection is open. Rejects with ECONNREFUSED etc. */
export async function connect<In, Out>(
  options: ConnectOptions<In, Out>,
): Promise<Connection<In, Out>> {
  let connection: Connection<In, Out> | undefined;
  let handshakeDone!: (error?: Error) => void;
  const handshake = new Promise<Error | undefined>((resolve) => {
    handshakeDone = resolve;
  });
  const socket: SocketHandler<SocketSlot, "uint8array"> & {
    handshake?(s: Socket<SocketSlot>, success: boolean, error: Error | null): void;
  } = {
    binaryType: "uint8array",
    handshake(s, success, error) {
      if (success && (s as { authorized?: boolean }).authorized !== false) return handshakeDone();
      const code = (error as { code?: string } | null)?.code ?? "TLS";
      handshakeDone(
        new TlsError(
          `TLS: the certificate of ${options.hostname}:${options.port} failed verification: ${error?.message ?? "not authorized"} (${code})`,
          code,
        ),
      );
    },
    open(s) {
      connection = new Connection<In, Out>(
        s as Socket<SocketSlot>,
        options.protocol,
        options,
        options,
      );
    },
    data(s, chunk) {
      s.data.connection?.handleData(chunk);
    },
    drain(s) {
      s.data.connection?.handleDrain();
    },
    end(s) {
      s.data.connection?.handleEnd();
    },
    close(s, error) {
      s.data.connection?.handleClose(error);
      handshakeDone(new Error("the connection closed during the TLS handshake"));
    },
    error(s, error) {
      s.data.connection?.destroy(error);
    },
    connectError() {
      // The promise below rejects with the reason; nothing else to clean up.
    },
  };
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          Object.assign(new Error(`connect timed out after ${timeoutMs} ms`), {
            code: "ETIMEDOUT",
          }),
        ),
      timeoutMs,
    );
  });
  try {
    const tls = options.tls;
    const attempt = Bun.connect<SocketSlot>({
      hostname: options.hostname,
      port: options.port,
      allowHalfOpen: true,
      ...(tls
        ? {
            tls: {
              ...(tls === true || tls.ca === undefined ? {} : { ca: tls.ca }),
              // Without it Bun checks the hostname (an IP against the IP SANs).
              ...(tls === true || tls.serverName === undefined
                ? {}
                : { serverName: tls.serverName }),
              // The verification is enforced in `handshake` above, not by Bun: with Bun 1.4.5's
              // own rejection, a certificate that fails to verify calls neither `handshake` nor
              // `close`, so the caller would wait for connectTimeoutMs with no reason given.
              // Nothing is sent before `handshake` has checked `authorized`.
              rejectUnauthorized: false,
            },
          }
        : {}),
      data: tls ? { secure: true } : {},
      socket: socket as unknown as SocketHandler<SocketSlot>, // binaryType "uint8array": slice() copies
    });
    const s = await Promise.race([attempt, timeout]);
    if (!connection) throw new Error("socket opened without a connection");
    if (tls) {
      const failure = await Promise.race([handshake, timeout]);
      if (failure) {
        connection.destroy(failure);
        throw failure;
      }
    }
    void s;
    return connection;
  } finally {
    clearTimeout(timer);
  }
}
