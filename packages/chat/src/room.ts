// The chat room: who is in it (name -> delivery callback), broadcast, private messages, history.
// Pure state + callbacks: no sockets, no timers. Every line is encoded once per event and the
// same payload is handed to every receiver (the transport passes encodeLine and sendBytes).
import { ChatError } from "./errors.ts";
import { checkName, nameKey } from "./names.ts";

/** One person in the room. `deliver` gets payloads made by the room's `encode`. */
export interface Member<P> {
  readonly name: string;
  readonly deliver: (payload: P) => void;
}

/** A message kept in the room's history and replayed to a newcomer. */
export interface HistoryEntry {
  /** When the line was said (ms since the epoch, from the room's clock). */
  atMs: number;
  /** The line as receivers saw it, e.g. `ann: hi` or `* ann waves`. */
  line: string;
}

/** Options of `new Room()`. */
export interface RoomOptions<P> {
  /** Turns a line (without newline) into what `deliver` receives; called once per event. */
  encode: (line: string) => P;
  /** How many messages are kept and replayed to newcomers. @default 20 */
  historySize?: number;
  /** Clock, for history timestamps. @default Date.now */
  nowMs?: () => number;
  /**
   * Called once for every line the room's own members cause to be broadcast (joins, leaves,
   * renames, messages, /me), after the local delivery: the Redis link publishes it to the other
   * instances. `remember` is true for lines kept in history (messages and /me).
   */
  onEvent?: (event: RoomEvent) => void;
}

/** A broadcast line caused by a local member, for other instances (see `RoomOptions.onEvent`). */
export interface RoomEvent {
  line: string;
  remember: boolean;
  atMs: number;
}

/** What `new Room()` uses for an option left out. */
export const ROOM_DEFAULTS = { historySize: 20 } as const;

type MemberRecord<P> = { name: string; deliver: (payload: P) => void };

/** The chat room as a service: members join with a deliver callback, messages fan out to them, no sockets involved. */
export class Room<P> {
  readonly #members = new Map<string, MemberRecord<P>>();
  readonly #history: HistoryEntry[] = [];
  readonly #encode: (line: string) => P;
  readonly #historySize: number;
  readonly #nowMs: () => number;
  readonly #onEvent: ((event: RoomEvent) => void) | undefined;

  constructor(options: RoomOptions<P>) {
    this.#encode = options.encode;
    this.#historySize = options.historySize ?? ROOM_DEFAULTS.historySize;
    if (!Number.isInteger(this.#historySize) || this.#historySize < 0) {
      throw new RangeError(`historySize must be a non-negative integer, got ${this.#historySize}`);
    }
    this.#nowMs = options.nowMs ?? Date.now;
    this.#onEvent = options.onEvent;
  }

  get size(): number {
    return this.#members.size;
  }

  encode(line: string): P {
    return this.#encode(line);
  }

  /** Names of everyone in the room, in join order. */
  names(): string[] {
    return [...this.#members.values()].map((m) => m.name);
  }

  has(name: string): boolean {
    return this.#members.has(nameKey(name));
  }

  /** The local member called `name` (any letter case), if any. */
  find(name: string): Member<P> | undefined {
    return this.#members.get(nameKey(name));
  }

  /** Replaces the history (newest last), e.g. with what a shared stream holds. */
  replaceHistory(entries: readonly HistoryEntry[]): void {
    this.#history.length = 0;
    this.#history.push(...entries.slice(-this.#historySize || entries.length));
    if (this.#historySize === 0) this.#history.length = 0;
  }

  /**
   * A line that came from another instance: delivered to every local member (encoded once),
   * kept in history when `remember`, and not reported to `onEvent`.
   */
  receive(line: string, remember: boolean, atMs: number): void {
    this.#broadcast(line, undefined, remember, atMs, false);
  }

  /** A private line from another instance to the local member with this name key. */
  deliverTo(key: string, line: string): boolean {
    const target = this.#members.get(key);
    if (!target) return false;
    target.deliver(this.#encode(line));
    return true;
  }

  /** The newest messages, oldest first. */
  history(): readonly HistoryEntry[] {
    return this.#history;
  }

  /**
   * Validates `name` and adds the member in one synchronous step, so two clients asking for the
   * same name (in any letter case) can't both get it. Announces `* name joined` to the others.
   * Throws ChatError NAME_INVALID / NAME_TAKEN.
   */
  join(name: string, deliver: (payload: P) => void): Member<P> {
    const invalid = checkName(name);
    if (invalid) throw invalid;
    const key = nameKey(name);
    if (this.#members.has(key)) {
      throw new ChatError("NAME_TAKEN", `the name "${name}" is already in use`);
    }
    const record: MemberRecord<P> = { name, deliver };
    this.#members.set(key, record);
    this.#broadcast(`* ${name} joined`, record);
    return record;
  }

  /**
   * Removes the member and tells the others `* name left` (with the reason, if any);
   * `announce: false` removes quietly (the whole room is shutting down).
   */
  leave(member: Member<P>, reason?: string, announce = true): void {
    const key = nameKey(member.name);
    if (this.#members.get(key) !== member) return; // already gone
    this.#members.delete(key);
    if (announce)
      this.#broadcast(reason ? `* ${member.name} left (${reason})` : `* ${member.name} left`);
  }

  /** A message: `name: text` to everyone but the sender, kept in history. */
  say(member: Member<P>, text: string): void {
    this.#broadcast(`${member.name}: ${text}`, member, true);
  }

  /** /me: `* name action` to everyone but the sender, kept in history. */
  act(member: Member<P>, action: string): void {
    this.#broadcast(`* ${member.name} ${action}`, member, true);
  }

  /** /msg: `[private] from: text` to one member. Throws ChatError NO_SUCH_USER. */
  whisper(from: Member<P>, to: string, text: string): Member<P> {
    const target = this.#members.get(nameKey(to));
    if (!target) throw new ChatError("NO_SUCH_USER", `no one called "${to}" is here`);
    target.deliver(this.#encode(`[private] ${from.name}: ${text}`));
    return target;
  }

  /**
   * /nick: renames in place and tells everyone (the renamed member too).
   * Throws ChatError NAME_INVALID / NAME_TAKEN. Returns the member under its new name.
   */
  rename(member: Member<P>, newName: string): Member<P> {
    const record = this.#members.get(nameKey(member.name));
    if (record !== member) throw new ChatError("NO_SUCH_USER", "not in the room");
    const invalid = checkName(newName);
    if (invalid) throw invalid;
    const oldKey = nameKey(record.name);
    const newKey = nameKey(newName);
    if (newKey !== oldKey && this.#members.has(newKey)) {
      throw new ChatError("NAME_TAKEN", `the name "${newName}" is already in use`);
    }
    const oldName = record.name;
    // Keep join order: rebuild only when the key changes (rare), so iteration stays stable.
    if (newKey !== oldKey) {
      const entries = [...this.#members].map(([k, v]): [string, MemberRecord<P>] =>
        k === oldKey ? [newKey, v] : [k, v],
      );
      this.#members.clear();
      for (const [k, v] of entries) this.#members.set(k, v);
    }
    record.name = newName;
    this.#broadcast(`* ${oldName} is now known as ${newName}`);
    return record;
  }

  /** Sends the same payload to every member except `except`; optionally keeps it in history. */
  #broadcast(
    line: string,
    except?: MemberRecord<P>,
    remember = false,
    atMs = this.#nowMs(),
    local = true,
  ): void {
    if (remember && this.#historySize > 0) {
      this.#history.push({ atMs, line });
      if (this.#history.length > this.#historySize) this.#history.shift();
    }
    const payload = this.#encode(line);
    // Snapshot: a delivery may close a slow receiver, which leaves the room mid-loop.
    for (const member of [...this.#members.values()]) {
      if (member !== except) member.deliver(payload);
    }
    if (local) this.#onEvent?.({ line, remember, atMs });
  }
}
