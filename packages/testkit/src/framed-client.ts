// A raw length-prefixed client for wire tests, written on Bun.connect rather than @netkit/framing,
// so a server's framing is checked by code independent of the one it runs on.

/** What rawFramedClient gives: the frames received so far, and ways to send and wait. */
export interface RawFramedClient {
  socket: Bun.Socket<undefined>;
  /** Every frame's payload received, in order (copies). */
  messages: Uint8Array[];
  /** The payloads as UTF-8 text. */
  readonly texts: string[];
  isClosed(): boolean;
  /** Sends one frame: the prefix, then `payload`. */
  send(payload: Uint8Array | string): void;
  /** Waits until `check()` holds, polling every 10 ms; throws after `timeoutMs`. */
  waitFor(check: () => boolean, timeoutMs?: number): Promise<void>;
}

const utf8 = new TextEncoder();

/** Frames `payload` with a big-endian length prefix of `prefixBytes` (2: DNS over TCP; 4: the BBS). */
export function prefixFrame(payload: Uint8Array | string, prefixBytes: 2 | 4): Uint8Array {
  const body = typeof payload === "string" ? utf8.encode(payload) : payload;
  const out = new Uint8Array(prefixBytes + body.length);
  const view = new DataView(out.buffer);
  if (prefixBytes === 2) view.setUint16(0, body.length);
  else view.setUint32(0, body.length);
  out.set(body, prefixBytes);
  return out;
}

/** Connects to 127.0.0.1:`port` and collects the length-prefixed frames the server sends. */
export async function rawFramedClient(port: number, prefixBytes: 2 | 4): Promise<RawFramedClient> {
  const messages: Uint8Array[] = [];
  let buffered = new Uint8Array(0);
  let closed = false;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      data(_s, chunk: Uint8Array) {
        const all = new Uint8Array(buffered.length + chunk.length);
        all.set(buffered);
        all.set(chunk, buffered.length);
        const view = new DataView(all.buffer);
        let at = 0;
        while (all.length - at >= prefixBytes) {
          const size = prefixBytes === 2 ? view.getUint16(at) : view.getUint32(at);
          if (all.length - at - prefixBytes < size) break;
          messages.push(all.slice(at + prefixBytes, at + prefixBytes + size));
          at += prefixBytes + size;
        }
        buffered = all.slice(at);
      },
      close() {
        closed = true;
      },
      error() {
        closed = true;
      },
    },
  });
  const decoder = new TextDecoder();
  return {
    socket,
    messages,
    get texts() {
      return messages.map((m) => decoder.decode(m));
    },
    isClosed: () => closed,
    send(payload) {
      socket.write(prefixFrame(payload, prefixBytes));
    },
    async waitFor(check, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
        await Bun.sleep(10);
      }
    },
  };
}
