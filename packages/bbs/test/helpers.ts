// Test helpers: a raw length-prefixed client written here (not the package's client), temp dirs.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const utf8 = new TextEncoder();
const text = new TextDecoder();

export function frame(payload: string | Uint8Array): Uint8Array {
  const body = typeof payload === "string" ? utf8.encode(payload) : payload;
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

/** Cheap argon2id settings so tests that register accounts stay fast. */
export const FAST_ARGON2 = { argon2MemoryKiB: 1024, argon2TimeCost: 1 } as const;

/**
 * A minimal framed TCP client over Bun.connect: its own decoder, its own write queue, so the
 * tests check the wire format independently of @netkit/framing.
 */
export class RawClient {
  #frames: string[] = [];
  #waiters: (() => void)[] = [];
  #buf = new Uint8Array(0);
  #queue: Uint8Array[] = [];
  #closed = false;
  #closedWaiters: (() => void)[] = [];
  socket!: Bun.Socket<undefined>;

  static async connect(port: number, host = "127.0.0.1"): Promise<RawClient> {
    const c = new RawClient();
    c.socket = await Bun.connect({
      hostname: host,
      port,
      socket: {
        binaryType: "uint8array",
        data: (_s, chunk: Uint8Array) => c.#onData(chunk),
        drain: () => c.#flush(),
        close: () => c.#onClose(),
        error: () => c.#onClose(),
      },
    });
    return c;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  #onData(chunk: Uint8Array): void {
    const merged = new Uint8Array(this.#buf.length + chunk.length);
    merged.set(this.#buf);
    merged.set(chunk, this.#buf.length);
    let off = 0;
    while (merged.length - off >= 4) {
      const len = new DataView(merged.buffer, off).getUint32(0);
      if (merged.length - off < 4 + len) break;
      this.#frames.push(text.decode(merged.subarray(off + 4, off + 4 + len)));
      off += 4 + len;
    }
    this.#buf = merged.slice(off);
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  #onClose(): void {
    this.#closed = true;
    for (const f of [...this.#waiters, ...this.#closedWaiters]) f();
    this.#waiters = [];
    this.#closedWaiters = [];
  }

  #flush(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Uint8Array;
      const n = this.socket.write(head);
      if (n < 0) return;
      if (n < head.length) {
        this.#queue[0] = head.subarray(n);
        return;
      }
      this.#queue.shift();
    }
  }

  sendRaw(bytes: Uint8Array): void {
    this.#queue.push(bytes);
    if (this.#queue.length === 1) this.#flush();
  }

  send(...payloads: (string | Uint8Array)[]): void {
    for (const p of payloads) this.sendRaw(frame(p));
  }

  /** The next frame; rejects after timeoutMs or if the connection closes first. */
  async next(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.#frames.length === 0) {
      if (this.#closed) throw new Error("connection closed");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a frame");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.#frames.shift() as string;
  }

  /** Reads a count frame and then that many frames. */
  async listing(timeoutMs = 5000): Promise<string[]> {
    const count = await this.next(timeoutMs);
    if (!/^\d+$/.test(count)) throw new Error(`expected a count, got ${JSON.stringify(count)}`);
    const rows: string[] = [];
    for (let i = 0; i < Number(count); i++) rows.push(await this.next(timeoutMs));
    return rows;
  }

  /** Frames received but not yet read. */
  get pending(): number {
    return this.#frames.length;
  }

  /** Resolves true when the server closes the connection within timeoutMs. */
  waitClosed(timeoutMs = 5000): Promise<boolean> {
    if (this.#closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.#closedWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.end();
  }

  /** Connects, checks the banner, sends the username. */
  static async session(port: number, username: string): Promise<RawClient> {
    const c = await RawClient.connect(port);
    const banner = await c.next();
    if (banner !== "BBS Server 1.2") throw new Error(`banner ${banner}`);
    c.send(username);
    return c;
  }
}

export function tempDir(prefix = "bbs-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
