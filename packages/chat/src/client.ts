// Chat client: a line Connection to the server plus a terminal (or pipe) on the other side.
// Incoming lines print while the user types: the current input line is cleared, the message
// printed, and readline redraws the prompt with what was typed so far (rl.prompt(true)).
import { clearLine, createInterface, cursorTo } from "node:readline";
import { type ConnectTlsOptions, connect, lines } from "@netkit/framing";

/** Options of `runChatClient`; each one left out takes its value from `CHAT_CLIENT_DEFAULTS`. */
export interface ChatClientOptions {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** @default 5002 */
  port?: number;
  /** Sent as the first line, so the server's name question is answered at once. */
  name?: string;
  /** Lines the user types (a TTY or a pipe). @default process.stdin */
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where server lines go. @default process.stdout */
  output?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Notices about the connection itself (refused, closed). @default process.stderr */
  errors?: NodeJS.WritableStream;
  /** Show a prompt and redraw it around incoming lines. @default input.isTTY && output.isTTY */
  interactive?: boolean;
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** Speak TLS (the server's --tls-port); the certificate is verified, against `ca` if given. */
  tls?: ConnectTlsOptions;
}

/** What `runChatClient` and `parseChatTarget` use for a value left out. */
export const CHAT_CLIENT_DEFAULTS = {
  hostname: "127.0.0.1",
  port: 5002,
  connectTimeoutMs: 10_000,
} as const;

/** Parses `HOST`, `HOST:PORT`, `:PORT` or `[v6]:PORT`. */
export function parseChatTarget(
  target: string | undefined,
  defaults: { hostname: string; port: number } = CHAT_CLIENT_DEFAULTS,
): { hostname: string; port: number } {
  if (!target) return { hostname: defaults.hostname, port: defaults.port };
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(target);
  const m = v6 ?? /^([^:]*)(?::(\d+))?$/.exec(target);
  if (!m) throw new RangeError(`bad target "${target}": expected HOST[:PORT]`);
  const port = m[2] === undefined ? defaults.port : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`bad port in "${target}"`);
  }
  return { hostname: m[1] || defaults.hostname, port };
}

/**
 * Runs the client until the server closes, the user sends /quit, or input ends (then the
 * connection is half-closed so the server still answers what was sent). Returns an exit code:
 * 0 after a normal end, 1 if the connection failed.
 */
export async function runChatClient(options: ChatClientOptions = {}): Promise<number> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const errors = options.errors ?? process.stderr;
  const interactive = options.interactive ?? Boolean(input.isTTY && output.isTTY);
  const hostname = options.hostname ?? CHAT_CLIENT_DEFAULTS.hostname;
  const port = options.port ?? CHAT_CLIENT_DEFAULTS.port;

  let rl: ReturnType<typeof createInterface> | undefined;
  const print = (line: string) => {
    if (rl && interactive) {
      clearLine(output, 0);
      cursorTo(output, 0);
      output.write(`${line}\n`);
      rl.prompt(true);
    } else {
      output.write(`${line}\n`);
    }
  };

  let conn: Awaited<ReturnType<typeof connect<string, string>>>;
  try {
    conn = await connect<string, string>({
      hostname,
      port,
      protocol: lines(),
      connectTimeoutMs: options.connectTimeoutMs ?? CHAT_CLIENT_DEFAULTS.connectTimeoutMs,
      tls: options.tls,
      onMessage: (_c, line) => print(line),
    });
  } catch (error) {
    errors.write(`chat: cannot connect to ${hostname}:${port}: ${(error as Error).message}\n`);
    return 1;
  }
  if (options.name !== undefined) conn.send(options.name);

  rl = createInterface({
    input,
    output,
    terminal: interactive,
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  if (interactive) {
    rl.setPrompt("> ");
    rl.prompt();
  }
  let inputEnded = false;
  rl.on("line", (line) => {
    conn.send(line);
    if (interactive) rl?.prompt();
  });
  rl.on("SIGINT", () => conn.send("/quit"));
  rl.on("close", () => {
    inputEnded = true;
    conn.shutdown(); // no more input: the server answers what it got, then closes
  });

  const { error } = await conn.closed;
  if (interactive) {
    clearLine(output, 0);
    cursorTo(output, 0);
  }
  if (!inputEnded) rl.close();
  if (error) {
    errors.write(`chat: connection lost: ${error.message}\n`);
    return 1;
  }
  return 0;
}
