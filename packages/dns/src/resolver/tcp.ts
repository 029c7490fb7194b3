// TCP transport: one query per connection, 2-byte length prefix (RFC 1035 §4.2.2, RFC 7766),
// over framing's connect (the one socket layer), optionally with TLS (DNS over TLS, RFC 7858).
import { type Connection, type ConnectTlsOptions, connect, frames } from "@netkit/framing";
import { cancelledError, DnsError } from "../errors.ts";
import type { ServerAddress } from "./resolv-conf.ts";

/** A DNS message is at most 65,535 bytes: what a 2-byte prefix can say. */
const DNS_FRAMES = frames({ prefixBytes: 2, maxFrameBytes: 65535 });

/**
 * Connects to `server`, sends `bytes` with its length prefix, and returns the first reply the
 * `accept` callback takes (replies it rejects are skipped). Everything is bounded by `timeoutMs`;
 * `signal` cancels it (DnsError CANCELLED). With `tls`, the exchange is DNS over TLS and the
 * server's certificate must verify (DnsError NETWORK naming the failure otherwise).
 */
export async function tcpExchange(
  bytes: Uint8Array,
  server: ServerAddress,
  timeoutMs: number,
  accept: (reply: Uint8Array) => boolean,
  signal?: AbortSignal,
  tls?: ConnectTlsOptions,
): Promise<Uint8Array> {
  if (signal?.aborted) throw cancelledError(signal);
  const where = `${server.address}#${server.port}`;
  const kind = tls ? "TLS" : "TCP";
  let conn: Connection<Uint8Array, Uint8Array | string> | undefined;
  let settled = false;
  let stop!: (error: Error) => void;
  const stopped = new Promise<never>((_, reject) => {
    stop = reject;
  });
  const timer = setTimeout(
    () => stop(new DnsError("TIMEOUT", `no ${kind} reply from ${where} in ${timeoutMs} ms`)),
    timeoutMs,
  );
  const onAbort = () => stop(cancelledError(signal as AbortSignal));
  signal?.addEventListener("abort", onAbort, { once: true });
  const exchange = async (): Promise<Uint8Array> => {
    try {
      conn = await connect({
        hostname: server.address,
        port: server.port,
        protocol: DNS_FRAMES,
        connectTimeoutMs: timeoutMs,
        tls,
      });
    } catch (error) {
      throw new DnsError("NETWORK", `${kind} connect to ${where}: ${(error as Error).message}`);
    }
    if (settled) conn.destroy(); // timed out or cancelled while connecting
    conn.send(bytes);
    for (;;) {
      const reply = await conn.receive();
      if (reply === undefined) {
        const cause = conn.error ? `: ${conn.error.message}` : " without a reply";
        throw new DnsError("NETWORK", `${where} closed the ${kind} connection${cause}`);
      }
      if (accept(reply)) return reply;
    }
  };
  try {
    return await Promise.race([exchange(), stopped]);
  } finally {
    settled = true;
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    conn?.destroy();
  }
}
