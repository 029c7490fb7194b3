// TCP transport: one query per connection, 2-byte length prefix (RFC 1035 §4.2.2, RFC 7766).
import { cancelledError, DnsError } from "../errors.ts";
import type { ServerAddress } from "./resolv-conf.ts";

/**
 * Connects to `server`, sends `bytes` with its length prefix, and returns the first reply the
 * `accept` callback takes (replies it rejects are skipped). Everything is bounded by `timeoutMs`;
 * `signal` cancels it (DnsError CANCELLED).
 */
export function tcpExchange(
  bytes: Uint8Array,
  server: ServerAddress,
  timeoutMs: number,
  accept: (reply: Uint8Array) => boolean,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError(signal));
    let settled = false;
    let socket: { end(): void; terminate?(): void } | undefined;
    const finish = (error: Error | undefined, reply?: Uint8Array) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      try {
        socket?.end();
      } catch {}
      if (error) reject(error);
      else resolve(reply as Uint8Array);
    };
    const timer = setTimeout(
      () =>
        finish(
          new DnsError(
            "TIMEOUT",
            `no TCP reply from ${server.address}#${server.port} in ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    const onAbort = () => finish(cancelledError(signal as AbortSignal));
    signal?.addEventListener("abort", onAbort, { once: true });
    const framed = new Uint8Array(bytes.length + 2);
    framed[0] = bytes.length >> 8;
    framed[1] = bytes.length & 0xff;
    framed.set(bytes, 2);
    let out = framed;
    let buffered = new Uint8Array(0);
    Bun.connect({
      hostname: server.address,
      port: server.port,
      socket: {
        binaryType: "uint8array",
        open(s) {
          socket = s;
          const n = s.write(out);
          if (n > 0) out = out.subarray(n);
        },
        drain(s) {
          if (out.length > 0) {
            const n = s.write(out);
            if (n > 0) out = out.subarray(n);
          }
        },
        data(_s, chunk: Uint8Array) {
          const next = new Uint8Array(buffered.length + chunk.length);
          next.set(buffered);
          next.set(chunk, buffered.length);
          buffered = next;
          while (buffered.length >= 2) {
            const len = ((buffered[0] as number) << 8) | (buffered[1] as number);
            if (buffered.length < 2 + len) return;
            const reply = buffered.slice(2, 2 + len);
            buffered = buffered.slice(2 + len);
            if (accept(reply)) {
              finish(undefined, reply);
              return;
            }
          }
        },
        end() {
          finish(
            new DnsError(
              "NETWORK",
              `${server.address}#${server.port} closed the TCP connection without a reply`,
            ),
          );
        },
        close(_s, error) {
          finish(
            new DnsError(
              "NETWORK",
              `TCP connection to ${server.address}#${server.port} closed${error ? `: ${error.message}` : ""}`,
            ),
          );
        },
        error(_s, error) {
          finish(new DnsError("NETWORK", `TCP ${server.address}#${server.port}: ${error.message}`));
        },
        connectError(_s, error) {
          finish(
            new DnsError(
              "NETWORK",
              `TCP connect to ${server.address}#${server.port}: ${error.message}`,
            ),
          );
        },
      },
    }).catch((error: Error) => {
      finish(
        new DnsError(
          "NETWORK",
          `TCP connect to ${server.address}#${server.port}: ${error.message}`,
        ),
      );
    });
  });
}
