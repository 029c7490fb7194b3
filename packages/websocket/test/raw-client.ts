// Test helpers: a raw WebSocket client that sends exactly the bytes a case names, and an independent
// little parser for what the server sends back (no code shared with src/ beyond the key check).
import { createHash, randomBytes } from "node:crypto";

export interface ServerFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

export interface RawResult {
  /** The handshake response head. */
  head: string;
  frames: ServerFrame[];
  /** The TCP connection was closed by the server within the wait. */
  closed: boolean;
  /** The close code of the server's close frame, if any (1005 for an empty one). */
  closeCode: number | undefined;
}

/** A client frame: masked by default (with a random key), FIN set. */
export function clientFrame(
  opcode: number,
  payload: Uint8Array | string = new Uint8Array(0),
  options: { fin?: boolean; rsv?: number; mask?: boolean; length?: bigint } = {},
): Uint8Array {
  const body = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  const masked = options.mask ?? true;
  const length = options.length ?? BigInt(body.length);
  const head: number[] = [((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode];
  const maskBit = masked ? 0x80 : 0;
  if (length < 126n) head.push(maskBit | Number(length));
  else if (length < 65536n) head.push(maskBit | 126, Number(length >> 8n), Number(length & 0xffn));
  else {
    head.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) head.push(Number((length >> shift) & 0xffn));
  }
  const key = masked ? randomBytes(4) : Buffer.alloc(0);
  const out = new Uint8Array(head.length + key.length + body.length);
  out.set(head);
  out.set(key, head.length);
  for (let i = 0; i < body.length; i++) {
    out[head.length + key.length + i] = (body[i] as number) ^ (masked ? (key[i & 3] as number) : 0);
  }
  return out;
}

export const closeFrame = (code?: number, reason: Uint8Array | string = ""): Uint8Array => {
  if (code === undefined) return clientFrame(0x8);
  const r = typeof reason === "string" ? new TextEncoder().encode(reason) : reason;
  const payload = new Uint8Array(2 + r.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(r, 2);
  return clientFrame(0x8, payload);
};

/** Parses unmasked or masked frames; stops at an incomplete one. */
export function parseFrames(bytes: Uint8Array): ServerFrame[] {
  const frames: ServerFrame[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const b0 = bytes[at] as number;
    const b1 = bytes[at + 1] as number;
    let length = b1 & 0x7f;
    let p = at + 2;
    if (length === 126) {
      if (p + 2 > bytes.length) break;
      length = ((bytes[p] as number) << 8) | (bytes[p + 1] as number);
      p += 2;
    } else if (length === 127) {
      if (p + 8 > bytes.length) break;
      length = Number(new DataView(bytes.buffer, bytes.byteOffset + p, 8).getBigUint64(0));
      p += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const key = masked ? bytes.subarray(p, p + 4) : undefined;
    if (masked) p += 4;
    if (p + length > bytes.length) break;
    const payload = bytes.slice(p, p + length);
    if (key)
      for (let i = 0; i < payload.length; i++)
        payload[i] = (payload[i] as number) ^ (key[i & 3] as number);
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload });
    at = p + length;
  }
  return frames;
}

export interface RawSession {
  send(bytes: Uint8Array): void;
  /** Waits until the server closes or `ms` pass (or `until` holds), then reports. */
  result(ms?: number, until?: (r: RawResult) => boolean): Promise<RawResult>;
  end(): void;
  readonly received: number;
}

/** Connects, handshakes with `extensions` (if any), and gives a session for raw bytes. */
export async function openRaw(
  port: number,
  options: { extensions?: string; headers?: string[] } = {},
): Promise<RawSession> {
  const key = randomBytes(16).toString("base64");
  const accept = createHash("sha1")
    .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
    .digest("base64");
  let buffered = Buffer.alloc(0);
  let closed = false;
  let wake = () => {};
  // Bun's write takes what the kernel accepts and drops the rest: keep it for `drain`.
  const unsent: Uint8Array[] = [];
  const flush = (s: { write(b: Uint8Array): number }) => {
    while (unsent.length > 0) {
      const next = unsent[0] as Uint8Array;
      const n = s.write(next);
      if (n < 0) return;
      if (n < next.length) {
        unsent[0] = next.subarray(n);
        return;
      }
      unsent.shift();
    }
  };
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      data(_s, chunk) {
        buffered = Buffer.concat([buffered, chunk]);
        wake();
      },
      drain(s) {
        flush(s);
      },
      close() {
        closed = true;
        wake();
      },
      error() {},
    },
  });
  const lines = [
    "GET /echo HTTP/1.1",
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${key}`,
    "Sec-WebSocket-Version: 13",
    ...(options.extensions ? [`Sec-WebSocket-Extensions: ${options.extensions}`] : []),
    ...(options.headers ?? []),
  ];
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  const split = (): { head: string; rest: Uint8Array } | undefined => {
    const end = buffered.indexOf("\r\n\r\n");
    if (end < 0) return undefined;
    return { head: buffered.subarray(0, end).toString("latin1"), rest: buffered.subarray(end + 4) };
  };
  const snapshot = (): RawResult => {
    const parts = split();
    const frames = parts ? parseFrames(parts.rest) : [];
    const close = frames.find((f) => f.opcode === 0x8);
    const closeCode = close
      ? close.payload.length >= 2
        ? ((close.payload[0] as number) << 8) | (close.payload[1] as number)
        : 1005
      : undefined;
    return { head: parts?.head ?? "", frames, closed, closeCode };
  };
  const waitFor = async (ms: number, done: () => boolean) => {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.max(1, deadline - Date.now()));
      });
    }
  };
  await waitFor(2000, () => split() !== undefined || closed);
  const head = split()?.head ?? "";
  if (!head.startsWith("HTTP/1.1 101") || !head.includes(accept)) {
    socket.end();
    throw new Error(`no 101: ${head}`);
  }
  return {
    send: (bytes) => {
      unsent.push(bytes);
      if (unsent.length === 1) flush(socket);
    },
    result: async (ms = 2000, until) => {
      await waitFor(ms, () => closed || (until?.(snapshot()) ?? false));
      return snapshot();
    },
    end: () => socket.end(),
    get received() {
      return buffered.length;
    },
  };
}
