// connect(): a TCP client Connection speaking one protocol.
import type { Socket, SocketHandler } from "bun";
import {
  Connection,
  type ConnectionHooks,
  type ConnectionOptions,
  type SocketSlot,
} from "./connection.ts";
import type { Protocol } from "./protocol.ts";

export interface ConnectOptions<In, Out> extends ConnectionOptions, ConnectionHooks<In, Out> {
  hostname: string;
  port: number;
  protocol: Protocol<In, Out>;
  /** Give up connecting after this long. @default 10000 */
  connectTimeoutMs?: number;
}

/** Connects to a server; resolves once the connection is open. Rejects with ECONNREFUSED etc. */
export async function connect<In, Out>(
  options: ConnectOptions<In, Out>,
): Promise<Connection<In, Out>> {
  let connection: Connection<In, Out> | undefined;
  const socket: SocketHandler<SocketSlot, "uint8array"> = {
    binaryType: "uint8array",
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
    const attempt = Bun.connect<SocketSlot>({
      hostname: options.hostname,
      port: options.port,
      allowHalfOpen: true,
      data: {},
      socket: socket as unknown as SocketHandler<SocketSlot>, // binaryType "uint8array": slice() copies
    });
    const s = await Promise.race([attempt, timeout]);
    if (!connection) throw new Error("socket opened without a connection");
    void s;
    return connection;
  } finally {
    clearTimeout(timer);
  }
}
