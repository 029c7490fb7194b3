// One client's side of the chat protocol: the naming phase, then messages and /commands.
// Pure logic over callbacks: the transport feeds it lines and gives it `send` and `close`.
import { type Log, silentLog } from "@netkit/framing";
import { ChatError } from "./errors.ts";
import { TokenBucket } from "./flood.ts";
import type { Member, Room } from "./room.ts";

export interface SessionOptions<P> {
  room: Room<P>;
  /** Delivers a payload (made by `room.encode`) to this client only. */
  send: (payload: P) => void;
  /** Ends the connection after flushing what was sent. Called at most once. */
  close: () => void;
  /** Flood limit: lines allowed in a burst; 0 turns the limit off. @default 10 */
  floodBurst?: number;
  /** Flood limit: sustained lines per second; 0 turns the limit off. @default 5 */
  floodLinesPerSecond?: number;
  /** Clock for the flood limit. @default performance.now */
  nowMs?: () => number;
  /** Who this is, for log events. */
  remote?: string;
  log?: Log;
}

export const SESSION_DEFAULTS = { floodBurst: 10, floodLinesPerSecond: 5 } as const;

export const GREETING = "* Welcome to netkit chat! What is your name?";
export const ASK_NAME = "* What is your name?";

export const HELP_LINES = [
  "* Commands:",
  "*   /who                 list who is here",
  "*   /msg <name> <text>   private message to one person",
  "*   /nick <new>          change your name",
  "*   /me <action>         say what you do, e.g. /me waves",
  "*   /quit [reason]       leave",
  "*   /help                this list",
  "* Any other line is sent to everyone; start it with // to send a line beginning with /.",
];

// Terminal control characters from one client must not reach the others' screens (tab is fine).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

type Phase = "naming" | "chatting" | "closed";

function hhmmss(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export class ChatSession<P> {
  readonly #room: Room<P>;
  readonly #send: (payload: P) => void;
  readonly #close: () => void;
  readonly #bucket: TokenBucket;
  readonly #nowMs: () => number;
  readonly #log: Log;
  readonly #remote: string | undefined;
  #phase: Phase = "naming";
  #member: Member<P> | undefined;

  constructor(options: SessionOptions<P>) {
    this.#room = options.room;
    this.#send = options.send;
    this.#close = options.close;
    this.#nowMs = options.nowMs ?? (() => performance.now());
    this.#bucket = new TokenBucket(
      options.floodBurst ?? SESSION_DEFAULTS.floodBurst,
      options.floodLinesPerSecond ?? SESSION_DEFAULTS.floodLinesPerSecond,
      this.#nowMs(),
    );
    this.#log = options.log ?? silentLog;
    this.#remote = options.remote;
  }

  /** The name once joined (follows /nick), else undefined. */
  get name(): string | undefined {
    return this.#member?.name;
  }

  get phase(): Phase {
    return this.#phase;
  }

  /** Greets the client and asks for a name. */
  start(): void {
    this.#reply(GREETING);
  }

  /** Handles one line from the client (without its newline). */
  handleLine(raw: string): void {
    if (this.#phase === "closed") return;
    const line = raw.replace(CONTROL, "");
    if (this.#phase === "chatting" && line.trim() === "") return; // an empty line says nothing
    // The limit covers the naming phase too: refusing names costs as much as relaying messages.
    if (!this.#bucket.take(this.#nowMs())) {
      const { burst, perSecond } = this.#bucket;
      this.#error(
        new ChatError(
          "FLOOD",
          `too many lines (a burst of ${burst}, then ${perSecond} per second); this line was dropped`,
        ),
      );
      return;
    }
    if (this.#phase === "naming") this.#handleName(line.trim());
    else if (line.startsWith("//")) this.#say(line.slice(1));
    else if (line.startsWith("/")) this.#command(line);
    else this.#say(line);
  }

  /** The client sent a line longer than the limit; it was dropped, the connection stays. */
  lineTooLong(maxLineBytes: number): void {
    if (this.#phase === "closed") return;
    this.#error(
      new ChatError("LINE_TOO_LONG", `lines are limited to ${maxLineBytes} bytes; it was dropped`),
    );
  }

  /**
   * Sends a final error line and closes (idle timeout, server stopping, ...). With
   * `announce: false` the others are not told (the server is stopping and tells everyone).
   */
  kick(error: ChatError, announce = true): void {
    if (this.#phase === "closed") return;
    this.#error(error);
    this.#finish(error.code === "IDLE_TIMEOUT" ? "idle" : error.message, announce);
    this.#close();
  }

  /** The connection is gone (the peer closed, or the transport dropped it). */
  disconnected(reason?: string): void {
    if (this.#phase === "closed") return;
    this.#finish(reason);
  }

  #finish(reason?: string, announce = true): void {
    this.#phase = "closed";
    const member = this.#member;
    if (member) {
      this.#room.leave(member, reason, announce);
      this.#log({ event: "chat.leave", name: member.name, remote: this.#remote, reason });
    }
  }

  #reply(line: string): void {
    this.#send(this.#room.encode(line));
  }

  #error(error: ChatError): void {
    this.#reply(error.toLine());
  }

  #handleName(name: string): void {
    if (name === "") {
      this.#reply(ASK_NAME);
      return;
    }
    try {
      this.#member = this.#room.join(name, this.#send);
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      this.#error(error);
      this.#reply(ASK_NAME);
      return;
    }
    this.#phase = "chatting";
    this.#log({ event: "chat.join", name, remote: this.#remote });
    const others = this.#room.size - 1;
    this.#reply(
      `* Welcome, ${name}! ${others === 1 ? "1 other person is" : `${others} other people are`} here. /who lists them, /help lists commands.`,
    );
    const history = this.#room.history();
    if (history.length > 0) {
      this.#reply(`* The last ${history.length} messages:`);
      for (const entry of history) this.#reply(`[history ${hhmmss(entry.atMs)}] ${entry.line}`);
    }
  }

  #say(text: string): void {
    const member = this.#member;
    if (member) this.#room.say(member, text);
  }

  #command(line: string): void {
    const member = this.#member;
    if (!member) return;
    const match = /^\/(\S*)\s*(.*)$/s.exec(line);
    const command = (match?.[1] ?? "").toLowerCase();
    const rest = (match?.[2] ?? "").trim();
    switch (command) {
      case "who": {
        const names = this.#room.names();
        this.#reply(`* ${names.length} here: ${names.join(", ")}`);
        return;
      }
      case "msg": {
        const m = /^(\S+)\s+(.+)$/s.exec(rest);
        if (!m?.[1] || !m[2]) {
          this.#error(new ChatError("BAD_COMMAND", "usage: /msg <name> <text>"));
          return;
        }
        try {
          const target = this.#room.whisper(member, m[1], m[2]);
          this.#reply(`[private to ${target.name}] ${m[2]}`);
        } catch (error) {
          if (!(error instanceof ChatError)) throw error;
          this.#error(error);
        }
        return;
      }
      case "nick": {
        if (rest === "") {
          this.#error(new ChatError("BAD_COMMAND", "usage: /nick <new name>"));
          return;
        }
        const oldName = member.name;
        try {
          this.#room.rename(member, rest);
          this.#log({ event: "chat.nick", from: oldName, to: rest, remote: this.#remote });
        } catch (error) {
          if (!(error instanceof ChatError)) throw error;
          this.#error(error);
        }
        return;
      }
      case "me": {
        if (rest === "") {
          this.#error(new ChatError("BAD_COMMAND", "usage: /me <action>"));
          return;
        }
        this.#room.act(member, rest);
        return;
      }
      case "quit": {
        this.#reply("* Bye!");
        this.#finish(rest === "" ? undefined : `quit: ${rest}`);
        this.#close();
        return;
      }
      case "help": {
        for (const help of HELP_LINES) this.#reply(help);
        return;
      }
      default:
        this.#error(
          new ChatError("UNKNOWN_COMMAND", `/${command} is not a command (/help lists them)`),
        );
    }
  }
}
