// The seed's client flow for people (and for tests driving it through stdin): domain -> name
// service -> connect -> banner check -> username -> a prompt loop of commands.

import { mkdir } from "node:fs/promises";
import { isIP } from "node:net";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { lookupName } from "@netkit/dns";
import { type ConnectTlsOptions, showRefused } from "@netkit/framing";
import { BbsClient, type ListedMessage } from "./client.ts";
import { BBS_DEFAULTS } from "./defaults.ts";
import { BbsError } from "./errors.ts";
import { textProblem, usernameProblem } from "./validate.ts";

/** What `runBbsClient` uses for a value left out (`--help` shows these). */
export const BBS_CLIENT_DEFAULTS = {
  namesHost: "127.0.0.1",
  /** The seed's name service port ("DNS Server 1.0"). */
  namesPort: 10334,
  timeoutMs: 10_000,
};

/** Options of `runBbsClient` (the interactive client of `bbs connect`). */
export interface RunBbsClientOptions {
  /** HOST|DOMAIN[:PORT]; asked for at a prompt when absent. */
  target?: string;
  /** Asked for at a prompt when absent. */
  username?: string;
  namesHost?: string;
  namesPort?: number;
  timeoutMs?: number;
  /** Speak TLS; the server's certificate is verified. */
  tls?: ConnectTlsOptions;
  /** What the user types, one line at a time; the end of input acts as `quit`. */
  input: AsyncIterator<string>;
  /** Program output (listings, messages). */
  write(text: string): void;
  /** Prompts; pass a no-op when input is not a terminal. */
  prompt(text: string): void;
  /**
   * Where `new` remembers the last post id seen, across visits (a JSON file keyed by
   * server and username). Without it, `new` remembers only within this session.
   */
  statePath?: string;
}

/** `$XDG_STATE_HOME/netkit/bbs-client.json`, else `~/.local/state/netkit/bbs-client.json`. */
export function defaultClientStatePath(): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "netkit", "bbs-client.json");
}

/** Reads the last post id seen for `key` from the state file (0 when unknown). */
async function loadLastSeen(path: string | undefined, key: string): Promise<number> {
  if (!path) return 0;
  try {
    const state = (await Bun.file(path).json()) as Record<string, unknown>;
    const value = state[key];
    return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch {
    return 0;
  }
}

async function saveLastSeen(path: string | undefined, key: string, id: number): Promise<void> {
  if (!path) return;
  let state: Record<string, unknown> = {};
  try {
    state = (await Bun.file(path).json()) as Record<string, unknown>;
  } catch {
    state = {};
  }
  state[key] = id;
  await mkdir(dirname(path), { recursive: true });
  await Bun.write(path, `${JSON.stringify(state, null, 2)}\n`);
}

export const CLIENT_HELP = `Commands (type one at the "Message:" prompt; anything else is posted publicly):
  list       every public post        new      posts since you last looked (kept between visits)
  dm         send a direct message    listdm   your direct messages (listdms too)
  who        who is online            unread   how many DMs you have not read
  register   protect your name with a password    login   log in to your name
  help       this text                quit     leave`;

/** Splits HOST|DOMAIN[:PORT] ("[::1]:10333" for IPv6 with a port). */
export function parseTarget(target: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(target);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(target);
  const host = v6?.[1] ?? (isIP(target) === 6 ? target : plain?.[1]);
  const portText = v6 ? v6[2] : isIP(target) === 6 ? undefined : plain?.[2];
  if (!host) throw new BbsError("PROTOCOL", `not a HOST[:PORT]: ${JSON.stringify(target)}`);
  const port = portText === undefined ? BBS_DEFAULTS.port : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BbsError("PROTOCOL", `bad port in ${JSON.stringify(target)}`);
  }
  return { host, port };
}

/** Runs one client session; resolves with the exit code (0 after quit or end of input). */
export async function runBbsClient(options: RunBbsClientOptions): Promise<number> {
  const { write, prompt } = options;
  const ask = async (text: string): Promise<string | undefined> => {
    prompt(text);
    const next = await options.input.next();
    return next.done ? undefined : next.value;
  };

  const target = options.target ?? (await ask("Domain or IP: "))?.trim();
  if (!target) return 1;
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseTarget(target));
  } catch (error) {
    write(`${(error as Error).message}\n`);
    return 1;
  }
  if (isIP(host) === 0) {
    let address: string | null;
    try {
      address = await lookupName(host, {
        host: options.namesHost ?? BBS_CLIENT_DEFAULTS.namesHost,
        port: options.namesPort ?? BBS_CLIENT_DEFAULTS.namesPort,
        timeoutMs: options.timeoutMs ?? BBS_CLIENT_DEFAULTS.timeoutMs,
      });
    } catch (error) {
      write(`name service: ${(error as Error).message}\n`);
      return 1;
    }
    if (address === null) {
      write(`unknown domain: ${host}\n`);
      return 1;
    }
    host = address;
  }
  const username = options.username ?? (await ask("Username: "))?.trim();
  if (username === undefined) return 1;
  const bad = usernameProblem(username);
  if (bad) {
    write(`${bad}\n`);
    return 1;
  }

  let client: BbsClient;
  try {
    client = await BbsClient.connect({
      host,
      port,
      username,
      timeoutMs: options.timeoutMs,
      tls: options.tls,
    });
  } catch (error) {
    if ((error as BbsError).code === "WRONG_PROTOCOL") {
      write("Wrong protocol!\n");
      return 1;
    }
    write(`cannot connect to ${host}:${port}: ${(error as Error).message}\n`);
    return 1;
  }
  write(`Connected to ${host}:${port} as ${username}.\n${CLIENT_HELP}\n`);

  let locked = false;
  const stateKey = `${username}@${host}:${port}`;
  let lastSeen = await loadLastSeen(options.statePath, stateKey);
  const seenAtStart = lastSeen;
  const showPosts = (rows: ListedMessage[]) => {
    if (rows.length === 0) write("(no posts)\n");
    for (const r of rows) write(`#${r.id} ${when(r.time)} ${show(r.name)}: ${show(r.text)}\n`);
    lastSeen = Math.max(lastSeen, ...rows.map((r) => r.id));
  };
  const showUnread = async () => write(`${await client.unread()} unread direct message(s)\n`);
  const logIn = async (kind: "login" | "register") => {
    const password = await ask("Password: ");
    if (password === undefined) return;
    try {
      await (kind === "login" ? client.login(password) : client.register(password));
      locked = false;
      write(kind === "login" ? "Logged in.\n" : "Registered and logged in.\n");
      if (kind === "login") await showUnread();
    } catch (error) {
      if ((error as BbsError).code !== "REFUSED") throw error;
      write(`${error instanceof Error ? error.message : error}\n`);
    }
  };

  try {
    // `unread` doubles as the probe: a registered name answers "login required".
    try {
      await showUnread();
    } catch (error) {
      if ((error as BbsError).code !== "REFUSED") throw error;
      locked = true;
      write(`${username} is registered: log in to post and read your messages.\n`);
      await logIn("login");
    }
    for (;;) {
      const line = await ask("Message: ");
      if (line === undefined || line === "quit") break;
      switch (line) {
        case "help":
          write(`${CLIENT_HELP}\n`);
          break;
        case "list":
          showPosts(await client.since(0));
          break;
        case "new":
          showPosts(await client.since(lastSeen));
          break;
        case "listdm":
        case "listdms": {
          if (locked) {
            write("login required\n");
            break;
          }
          const dms = await client.dmsSince(0);
          if (dms.length === 0) write("(no direct messages)\n");
          for (const m of dms) {
            write(`#${m.id} ${when(m.time)} from ${show(m.name)}: ${show(m.text)}\n`);
          }
          break;
        }
        case "who":
          write(`online: ${show((await client.who()).join(", "))}\n`);
          break;
        case "unread":
          if (locked) write("login required\n");
          else await showUnread();
          break;
        case "register":
        case "login":
          await logIn(line);
          break;
        case "dm": {
          const to = await ask("To? ");
          const text = await ask("Message (DM): ");
          if (to === undefined || text === undefined) break;
          // Checked here, before sending: the protocol has no reply to a refused DM.
          const problem = usernameProblem(to, undefined, "recipient") ?? textProblem(text);
          if (problem) write(`not sent: ${problem}\n`);
          else if (locked) write("login required\n");
          else await client.dm(to, text);
          break;
        }
        default: {
          // As for DMs: the server would drop a refused post without a word, so say why here.
          const problem = textProblem(line);
          if (problem) write(`not posted: ${problem}\n`);
          else if (locked) write("login required\n");
          else await client.post(line);
        }
      }
    }
    await client.quit();
    if (lastSeen > seenAtStart) await saveLastSeen(options.statePath, stateKey, lastSeen);
    write("Bye.\n");
    return 0;
  } catch (error) {
    client.destroy();
    write(`${(error as Error).message}\n`);
    return 1;
  }
}

/**
 * What the server sends is shown with refused characters made visible (`<U+009B>`): posts stored
 * before the text policy, or by a server without it, must not drive the terminal.
 */
function show(text: string): string {
  return showRefused(text, { allowControls: "\t\n" });
}

function when(time: Date): string {
  return Number.isNaN(time.getTime()) ? "?" : time.toISOString().slice(0, 16).replace("T", " ");
}
