// UDP transport: one socket per address family, shared by concurrent queries, replies matched by id.
import type { udp } from "bun";
import { isIPv6 } from "../codec/address.ts";
import { randomId } from "../codec/message.ts";
import { cancelledError, DnsError } from "../errors.ts";
import type { ServerAddress } from "./resolv-conf.ts";

type Socket = udp.Socket<"uint8array">;

interface Pending {
  server: ServerAddress;
  fail(error: Error): void;
  /** Called with each datagram from the server that carries our id; returns true when accepted. */
  accept(bytes: Uint8Array): boolean;
}

/** What the caller learns about datagrams it did not accept. */
export type DatagramListener = (event: "mismatch", from: string) => void;

/**
 * Sends queries over UDP and routes replies by (id, source address, source port). The socket is
 * bound to port 0, so the kernel picks a random ephemeral port (Linux randomizes it), and is
 * closed as soon as no query is pending: the next query gets a new port, and an idle resolver
 * keeps nothing open.
 */
export class UdpClient {
  #sockets = new Map<"v4" | "v6", Promise<Socket>>();
  #pending = new Map<number, Pending>();
  onIgnored?: (from: string, reason: string) => void;

  /** A fresh id not used by a pending query. */
  allocateId(): number {
    for (;;) {
      const id = randomId();
      if (!this.#pending.has(id)) return id;
    }
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Sends `bytes` (whose first two bytes are `id`) to `server` and waits for a datagram from it
   * with that id that `accept` takes. Rejects with TIMEOUT after `timeoutMs`, with CANCELLED when
   * `signal` aborts.
   */
  async exchange(
    bytes: Uint8Array,
    server: ServerAddress,
    timeoutMs: number,
    accept: (reply: Uint8Array) => boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    if (signal?.aborted) throw cancelledError(signal);
    const id = ((bytes[0] as number) << 8) | (bytes[1] as number);
    if (this.#pending.has(id)) throw new DnsError("BAD_VALUE", `id ${id} already in flight`);
    const family = isIPv6(server.address) ? "v6" : "v4";
    let done!: () => void;
    let fail!: (e: Error) => void;
    const result = new Promise<void>((resolve, reject) => {
      done = resolve;
      fail = reject;
    });
    result.catch(() => {}); // a timeout or abort may land before `await result` below
    const timer = setTimeout(
      () =>
        fail(
          new DnsError(
            "TIMEOUT",
            `no reply from ${server.address}#${server.port} in ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    const onAbort = () => fail(cancelledError(signal as AbortSignal));
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#pending.set(id, {
      server,
      fail,
      accept: (reply) => {
        if (!accept(reply)) return false;
        done();
        return true;
      },
    });
    try {
      const socket = await this.#socket(family);
      try {
        socket.send(bytes, server.port, server.address);
      } catch (e) {
        throw new DnsError(
          "NETWORK",
          `send to ${server.address}#${server.port}: ${(e as Error).message}`,
        );
      }
      await result;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      this.#pending.delete(id);
      if (this.#pending.size === 0) this.close();
    }
  }

  #socket(family: "v4" | "v6"): Promise<Socket> {
    let s = this.#sockets.get(family);
    if (!s) {
      s = Bun.udpSocket({
        hostname: family === "v6" ? "::" : "0.0.0.0",
        binaryType: "uint8array",
        socket: {
          data: (_sock, buf, port, address) => this.#receive(buf, port, address),
          // Asynchronous send errors (ICMP unreachable, EMSGSIZE) must not crash the process; the
          // query they belong to times out and is retried.
          // Bun calls it as (err) with `this` = socket although the types say (socket, err).
          error: (...args: unknown[]) => {
            const err = args.at(-1);
            this.onIgnored?.("local", `socket error: ${(err as Error)?.message ?? String(err)}`);
          },
        },
      });
      this.#sockets.set(family, s);
    }
    return s;
  }

  #receive(buf: Uint8Array, port: number, address: string): void {
    const from = `${address}#${port}`;
    if (buf.length < 2) {
      this.onIgnored?.(from, "datagram shorter than an id");
      return;
    }
    const id = ((buf[0] as number) << 8) | (buf[1] as number);
    const pending = this.#pending.get(id);
    if (!pending) {
      this.onIgnored?.(from, `no query with id ${id}`);
      return;
    }
    if (pending.server.port !== port || !sameAddress(pending.server.address, address)) {
      this.onIgnored?.(from, `id ${id} from the wrong address`);
      return;
    }
    if (!pending.accept(buf)) this.onIgnored?.(from, `id ${id}: question does not match`);
  }

  /** Closes the sockets; exchanges still waiting fail with CANCELLED. */
  close(): void {
    for (const p of this.#pending.values()) p.fail(new DnsError("CANCELLED", "resolver closed"));
    const sockets = [...this.#sockets.values()];
    this.#sockets.clear();
    for (const s of sockets) s.then((sock) => sock.close()).catch(() => {});
  }
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const strip = (x: string) => x.replace(/^::ffff:/i, "").toLowerCase();
  return strip(a) === strip(b);
}
