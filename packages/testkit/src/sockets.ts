// Raw loopback clients for attack tests: node:net, because Bun.connect can't pick a source address.
import { connect, type Socket } from "node:net";

/**
 * A raw TCP client to 127.0.0.1:port from source address `localAddress` (any 127.x.y.z), so one
 * test can play several hosts against a per-address cap. What the server sends is read and
 * dropped (so its FIN is seen); resets after connecting are ignored, being the defence at work.
 */
export function rawFrom(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, localAddress }, () => resolve(socket));
    socket.resume();
    socket.on("error", () => {});
    socket.once("error", reject);
  });
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
