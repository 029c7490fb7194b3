// BbsClient: the seed's client protocol as an API — banner check, username, one call per command.

import {
  type Connection,
  type ConnectTlsOptions,
  connect,
  decodeText,
  frames,
} from "@netkit/framing";
import { BANNER, BBS_DEFAULTS } from "./defaults.ts";
import { BbsError } from "./errors.ts";

/** Options of `BbsClient.connect`. */
export interface BbsClientOptions {
  host: string;
  /** @default 10333 */
  port?: number;
  username: string;
  /** Bounds connecting and every reply. @default 10 000 */
  timeoutMs?: number;
  /** Speak TLS (the server's --tls-port); the certificate is verified, against `ca` if given. */
  tls?: ConnectTlsOptions;
}

/** A row of `since` / `dmsince`: `<id> <ISO time> <name> <text>`. */
export interface ListedMessage {
  id: number;
  time: Date;
  name: string;
  text: string;
}

type Conn = Connection<Uint8Array, Uint8Array | string>;

/** A library client of the board: logs in over the framed protocol, posts, lists, sends direct messages. */
export class BbsClient {
  readonly username: string;
  readonly #conn: Conn;
  readonly #timeoutMs: number;

  private constructor(conn: Conn, username: string, timeoutMs: number) {
    this.#conn = conn;
    this.username = username;
    this.#timeoutMs = timeoutMs;
  }

  /** Connects, checks the banner (BbsError WRONG_PROTOCOL otherwise) and sends the username. */
  static async connect(options: BbsClientOptions): Promise<BbsClient> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const port = options.port ?? BBS_DEFAULTS.port;
    const conn = await withTimeout(
      connect<Uint8Array, Uint8Array | string>({
        hostname: options.host,
        port,
        protocol: frames({ maxFrameBytes: BBS_DEFAULTS.maxFrameBytes }),
        tls: options.tls,
      }),
      timeoutMs,
      `connecting to ${options.host}:${port}`,
    );
    const client = new BbsClient(conn, options.username, timeoutMs);
    let banner: string;
    try {
      banner = await client.#next();
    } catch (error) {
      conn.destroy();
      throw error;
    }
    if (banner !== BANNER) {
      conn.destroy();
      throw new BbsError(
        "WRONG_PROTOCOL",
        `expected banner "${BANNER}", got ${JSON.stringify(banner)}`,
      );
    }
    conn.send(options.username);
    return client;
  }

  get isClosed(): boolean {
    return this.#conn.isClosed;
  }

  /**
   * A public post. The seed protocol has no reply to a post, except `error: login required`
   * for a registered name that has not logged in: pass `expectRefusal` in that state.
   */
  async post(text: string, expectRefusal = false): Promise<void> {
    this.#send(text);
    if (expectRefusal) await this.#reply();
  }

  async dm(recipient: string, text: string, expectRefusal = false): Promise<void> {
    this.#send("dm");
    this.#send(recipient);
    this.#send(text);
    if (expectRefusal) await this.#reply();
  }

  /** Seed `list`: `<username> <text>`, oldest first. */
  list(): Promise<string[]> {
    return this.#command(["list"]);
  }

  /** Seed `listdms`: `<sender> <text>`, oldest first. */
  listDms(): Promise<string[]> {
    return this.#command(["listdms"]);
  }

  /** Posts with id > afterId, with ids and times. */
  async since(afterId = 0): Promise<ListedMessage[]> {
    return (await this.#command(["since", String(afterId)])).map(parseRow);
  }

  /** DMs to this user with id > afterId (marks them read). */
  async dmsSince(afterId = 0): Promise<ListedMessage[]> {
    return (await this.#command(["dmsince", String(afterId)])).map(parseRow);
  }

  who(): Promise<string[]> {
    return this.#command(["who"]);
  }

  async unread(): Promise<number> {
    this.#send("unread");
    return Number(await this.#reply());
  }

  /** Registers this username and logs in (BbsError REFUSED with the server's reason). */
  async register(password: string): Promise<void> {
    this.#send("register");
    this.#send(password);
    await this.#reply();
  }

  async login(password: string): Promise<void> {
    this.#send("login");
    this.#send(password);
    await this.#reply();
  }

  /** Sends `quit` and waits for the server to close. */
  async quit(): Promise<void> {
    if (this.#conn.isClosed) return;
    this.#conn.send("quit");
    // Pull mode: reading to the end of the stream is what closes our side after the server's FIN.
    const drain = async () => {
      while ((await this.#conn.receive()) !== undefined) {}
      await this.#conn.closed;
    };
    await withTimeout(drain(), this.#timeoutMs, "closing").catch(() => this.#conn.destroy());
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.#conn.destroy();
  }

  async #command(frames: string[]): Promise<string[]> {
    for (const f of frames) this.#send(f);
    const count = await this.#reply();
    if (!/^\d+$/.test(count))
      throw new BbsError("PROTOCOL", `expected a count, got ${JSON.stringify(count)}`);
    const rows: string[] = [];
    for (let i = 0; i < Number(count); i++) rows.push(await this.#next());
    return rows;
  }

  /** Queues one frame; BbsError CLOSED once the connection is gone. */
  #send(frame: string): void {
    if (!this.#conn.send(frame)) throw new BbsError("CLOSED", "the connection is closed");
  }

  /** The next frame; an `error: ...` frame becomes BbsError REFUSED. */
  async #reply(): Promise<string> {
    const text = await this.#next();
    if (text.startsWith("error: ")) throw new BbsError("REFUSED", text.slice("error: ".length));
    return text;
  }

  async #next(): Promise<string> {
    const frame = await withTimeout(
      this.#conn.receive(),
      this.#timeoutMs,
      "waiting for the server",
    );
    if (frame === undefined) throw new BbsError("CLOSED", "the server closed the connection");
    return decodeText(frame);
  }
}

function parseRow(row: string): ListedMessage {
  const m = /^(\d+) (\S+) (\S+) ([\s\S]*)$/.exec(row);
  if (!m) throw new BbsError("PROTOCOL", `malformed listing row ${JSON.stringify(row)}`);
  return { id: Number(m[1]), time: new Date(m[2] ?? ""), name: m[3] ?? "", text: m[4] ?? "" };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BbsError("TIMEOUT", `${what}: no answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
