// One client's side of the chat protocol: the naming phase, then messages and /commands.
// Pure logic over callbacks: the transport feeds it lines and gives it `send` and `close`.
import { type Log, silentLog, TokenBucket, textProblem } from "@netkit/framing";
import { ChatError } from "./errors.ts";
import { checkName, nameKey } from "./names.ts";
import type { Member, Room } from "./room.ts";

function taken(name: string): ChatError {
  return new ChatError("NAME_TAKEN", `the name "${name}" is already in use`);
}

/**
 * What a session needs from the other instances of the room (the Redis link implements it).
 * Without one, everything is local and synchronous.
 */
export interface RoomCluster {
  /** Claims a name across instances; resolves to a NAME_TAKEN error when another holds it. */
  claim(name: string): Promise<ChatError | undefined>;
  /** Gives a name back (the member left or was renamed). */
  release(name: string): void;
  /** A private message to someone not on this instance; resolves to their name, or throws NO_SUCH_USER. */
  whisper(from: string, to: string, text: string): Promise<string>;
  /** Everyone in the room on every instance, this instance's `local` names first. */
  who(local: string[]): Promise<{ names: string[]; partial: boolean }>;
}

/** Lines a client may send while its session waits for the cluster (a claim, /who, /msg). */
const MAX_QUEUED_LINES = 100;

export interface SessionOptions<P> {
  room: Room<P>;
  /** Shares names, /who and /msg with other instances (see RoomCluster). */
  cluster?: RoomCluster;
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

/** Spaces and tabs around a name typed at the prompt; anything else in it is the name's. */
const PADDING = /^[ \t]+|[ \t]+$/g;

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
  readonly #cluster: RoomCluster | undefined;
  #phase: Phase = "naming";
  #member: Member<P> | undefined;
  /** Set while waiting for the cluster; lines arriving meanwhile are queued, in order. */
  #waiting = false;
  readonly #queued: string[] = [];

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
    this.#cluster = options.cluster;
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
    if (this.#waiting) {
      if (this.#queued.length < MAX_QUEUED_LINES) this.#queued.push(raw);
      else this.#error(new ChatError("FLOOD", "too many lines while the server was busy; dropped"));
      return;
    }
    const line = raw;
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
    if (this.#phase === "naming") {
      this.#handleName(line.replace(PADDING, ""));
      return;
    }
    // Refused, not cleaned: the sender learns what was wrong and where (tab is the one control
    // a line may hold); nothing of it reaches the others' terminals.
    const problem = textProblem(line, { subject: "line" });
    if (problem) this.#error(new ChatError("TEXT_INVALID", `${problem.message}; it was not sent`));
    else if (line.startsWith("//")) this.#say(line.slice(1));
    else if (line.startsWith("/")) this.#command(line);
    else this.#say(line);
  }

  /** The client sent a line that is not UTF-8 (`message` says where); it was dropped. */
  invalidUtf8(message: string): void {
    if (this.#phase === "closed") return;
    this.#error(new ChatError("INVALID_UTF8", `${message}; it was dropped`));
    if (this.#phase === "naming" && !this.#waiting) this.#reply(ASK_NAME);
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

  /** Runs an asynchronous step (cluster call); lines that arrive meanwhile wait their turn. */
  #wait(step: Promise<void>): void {
    this.#waiting = true;
    step
      .catch((error: unknown) => {
        this.#log({ level: "error", event: "chat.cluster_error", error: String(error) });
      })
      .finally(() => {
        this.#waiting = false;
        while (!this.#waiting && this.#queued.length > 0) this.handleLine(this.#queued.shift()!);
      });
  }

  #finish(reason?: string, announce = true): void {
    this.#phase = "closed";
    this.#queued.length = 0;
    const member = this.#member;
    if (member) {
      this.#room.leave(member, reason, announce);
      this.#cluster?.release(member.name);
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
    const cluster = this.#cluster;
    if (cluster) {
      // Local checks first (cheap, and they keep two local clients apart), then the shared claim.
      const refused = checkName(name) ?? (this.#room.has(name) ? taken(name) : undefined);
      if (refused) {
        this.#error(refused);
        this.#reply(ASK_NAME);
        return;
      }
      this.#wait(
        cluster.claim(name).then((claimError) => {
          if (this.#phase === "closed") {
            if (!claimError) cluster.release(name);
            return;
          }
          if (claimError) {
            this.#error(claimError);
            this.#reply(ASK_NAME);
            return;
          }
          if (!this.#join(name)) cluster.release(name);
        }),
      );
      return;
    }
    this.#join(name);
  }

  /** Joins the room as `name` and sends the welcome; false (and asks again) when refused. */
  #join(name: string): boolean {
    try {
      this.#member = this.#room.join(name, this.#send);
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      this.#error(error);
      this.#reply(ASK_NAME);
      return false;
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
    return true;
  }

  #rename(member: Member<P>, newName: string): boolean {
    const oldName = member.name;
    try {
      this.#room.rename(member, newName);
      this.#log({ event: "chat.nick", from: oldName, to: newName, remote: this.#remote });
      return true;
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      this.#error(error);
      return false;
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
        const cluster = this.#cluster;
        if (!cluster) {
          this.#reply(`* ${names.length} here: ${names.join(", ")}`);
          return;
        }
        this.#wait(
          cluster.who(names).then(({ names: all, partial }) => {
            const note = partial ? " (other servers can't be reached right now)" : "";
            this.#reply(`* ${all.length} here: ${all.join(", ")}${note}`);
          }),
        );
        return;
      }
      case "msg": {
        const m = /^(\S+)\s+(.+)$/s.exec(rest);
        if (!m?.[1] || !m[2]) {
          this.#error(new ChatError("BAD_COMMAND", "usage: /msg <name> <text>"));
          return;
        }
        const [, to, text] = m;
        const cluster = this.#cluster;
        if (cluster && !this.#room.has(to)) {
          this.#wait(
            cluster.whisper(member.name, to, text).then(
              (name) => this.#reply(`[private to ${name}] ${text}`),
              (error: unknown) => {
                if (!(error instanceof ChatError)) throw error;
                this.#error(error);
              },
            ),
          );
          return;
        }
        try {
          const target = this.#room.whisper(member, to, text);
          this.#reply(`[private to ${target.name}] ${text}`);
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
        const cluster = this.#cluster;
        const sameKey = nameKey(oldName) === nameKey(rest);
        if (cluster && !sameKey) {
          const refused = checkName(rest) ?? (this.#room.has(rest) ? taken(rest) : undefined);
          if (refused) {
            this.#error(refused);
            return;
          }
          this.#wait(
            cluster.claim(rest).then((claimError) => {
              if (claimError) {
                this.#error(claimError);
                return;
              }
              if (this.#phase === "closed" || !this.#rename(member, rest)) {
                cluster.release(rest);
                return;
              }
              cluster.release(oldName);
            }),
          );
          return;
        }
        this.#rename(member, rest);
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
