// Test helpers: a line client over framing's connect, and nc/socat child processes as clients.
import { type Connection, connect, lines } from "@netkit/framing";
import { requireTool } from "@netkit/testkit";

export { requireTool };

const DEFAULT_WAIT_MS = 5000;

/** Reads lines in order from some source; `next`/`waitFor` never wait longer than a timeout. */
class LineInbox {
  readonly lines: string[] = [];
  #cursor = 0;
  #wake: (() => void) | undefined;
  #ended = false;

  push(line: string): void {
    this.lines.push(line);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Lines received but not read yet (does not consume them). */
  unread(): string[] {
    return this.lines.slice(this.#cursor);
  }

  /** The next unread line; throws after `timeoutMs` or at end of stream. */
  async next(timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    while (this.#cursor >= this.lines.length) {
      if (this.#ended) throw new Error("stream ended while waiting for a line");
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no line within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    return this.lines[this.#cursor++]!;
  }

  /** Skips lines until one matches; returns it. */
  async waitFor(match: RegExp | string, timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const left = deadline - performance.now();
      let line: string;
      try {
        line = await this.next(Math.max(1, left));
      } catch (error) {
        throw new Error(
          `waiting for ${match}: ${(error as Error).message}; last lines ${JSON.stringify(this.lines.slice(-5).map((l) => l.slice(0, 120)))}`,
        );
      }
      if (typeof match === "string" ? line === match : match.test(line)) return line;
    }
  }

  /** Waits until the stream ends (the server closed). */
  async waitForEnd(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!this.#ended) {
      if (performance.now() > deadline) throw new Error(`not closed within ${timeoutMs} ms`);
      await Bun.sleep(10);
    }
  }
}

/** A chat client on framing's Connection (push mode). */
export class LineClient extends LineInbox {
  constructor(readonly conn: Connection<string, string>) {
    super();
  }

  static async open(port: number, maxQueuedBytes?: number): Promise<LineClient> {
    let client: LineClient | undefined;
    const early: string[] = [];
    const conn = await connect<string, string>({
      hostname: "127.0.0.1",
      port,
      protocol: lines(),
      maxQueuedBytes,
      onMessage: (_c, line) => (client ? client.push(line) : early.push(line)),
    });
    client = new LineClient(conn);
    for (const line of early) client.push(line);
    conn.closed.then(() => client?.end());
    return client;
  }

  /** Connects and joins as `name` (skipping the greeting, welcome and history). */
  static async join(port: number, name: string): Promise<LineClient> {
    const client = await LineClient.open(port);
    await client.waitFor(/What is your name\?$/);
    client.send(name);
    await client.waitFor(new RegExp(`^\\* Welcome, ${name}!`));
    return client;
  }

  send(line: string): void {
    this.conn.send(line);
  }

  close(): void {
    this.conn.destroy();
  }
}

/** A real tool (nc, socat) as a client: lines written to its stdin, its stdout read as lines. */
export class ProcessClient extends LineInbox {
  readonly #proc: Bun.Subprocess<"pipe", "pipe", "pipe">;

  constructor(argv: string[]) {
    super();
    this.#proc = Bun.spawn(argv, { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    void this.#pump();
  }

  async #pump(): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of this.#proc.stdout) {
      buffered += decoder.decode(chunk, { stream: true });
      let lf = buffered.indexOf("\n");
      while (lf >= 0) {
        this.push(buffered.slice(0, lf).replace(/\r$/, ""));
        buffered = buffered.slice(lf + 1);
        lf = buffered.indexOf("\n");
      }
    }
    if (buffered) this.push(buffered);
    this.end();
  }

  /** Writes raw text to the tool's stdin (add "\n" yourself). */
  write(text: string): void {
    this.#proc.stdin.write(text);
    this.#proc.stdin.flush();
  }

  send(line: string): void {
    this.write(`${line}\n`);
  }

  /** Closes the tool's stdin (nc -N then half-closes the socket). */
  endInput(): void {
    this.#proc.stdin.end();
  }

  get exited(): Promise<number> {
    return this.#proc.exited;
  }

  kill(): void {
    this.#proc.kill();
  }
}

export const nc = requireTool("nc", "netcat-openbsd");
export const socat = requireTool("socat", "socat");

export function ncClient(port: number, extra: string[] = []): ProcessClient {
  return new ProcessClient([nc!, ...extra, "127.0.0.1", String(port)]);
}

export function socatClient(port: number): ProcessClient {
  return new ProcessClient([socat!, "-", `TCP:127.0.0.1:${port}`]);
}
