// Raw loopback clients for attack tests: node:net, because Bun.connect can't pick a source address.
import { connect, type Socket } from "node:net";

const received = new WeakMap<Socket, string>();

/**
 * A raw TCP client to 127.0.0.1:port from source address `localAddress` (any 127.x.y.z), so one
 * test can play several hosts against a per-address cap. Everything the server sends is recorded
 * from the first byte (read it with `receivedText`: a listener added later could miss a refusal
 * sent at once), and reading it lets the FIN be seen; resets after connecting are ignored, being
 * the defence at work.
 */
export function rawFrom(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, localAddress }, () => resolve(socket));
    received.set(socket, "");
    socket.on("data", (chunk: Buffer) => {
      received.set(socket, (received.get(socket) ?? "") + chunk.toString("latin1"));
    });
    socket.on("error", () => {});
    socket.once("error", reject);
  });
}

/** All that a `rawFrom` socket has received so far, as latin1 text. */
export function receivedText(socket: Socket): string {
  return received.get(socket) ?? "";
}

/** Resolves with performance.now() of the socket's close (at once if it is already closed). */
export function whenClosed(socket: Socket): Promise<number> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(performance.now());
    socket.once("close", () => resolve(performance.now()));
  });
}

/** True if the socket closes within `ms`, false if it is still open then. */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    whenClosed(socket).then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
