// Session: the BBS protocol state machine for one connection — frames in, replies out.
// No sockets here: the transport feeds frames one at a time and waits for each reply (which
// resolves only after the command is stored) before feeding the next.

import { decodeUtf8, nameKey, utf8Problem } from "@netkit/framing";
import type { Board } from "./board.ts";
import { BANNER } from "./defaults.ts";
import { BbsError } from "./errors.ts";
import type { Pending, Write } from "./store/types.ts";
import { textProblem, usernameProblem } from "./validate.ts";

/** A count frame followed by that many frames, produced page by page (streamed with flow control). */
export interface Listing {
  count: number;
  /** Pages of rows; asynchronous when the store is (PostgreSQL). */
  pages: Iterable<string[]> | AsyncIterable<string[]>;
}

export interface Reply {
  /** Frames to send, in order. */
  frames: string[];
  /** Sent after `frames`: the count, then every row. */
  listing?: Listing;
  /** Close the connection after sending. */
  close?: boolean;
}

type Phase =
  | { kind: "username" }
  | { kind: "command" }
  | { kind: "dm-recipient" }
  | { kind: "dm-text"; recipient: string | null }
  | { kind: "password"; for: "register" | "login" }
  | { kind: "since-id"; for: "since" | "dmsince" }
  | { kind: "closed" };

/** Where a command's reply goes when it is not ready at once (see Session.handleNow). */
export interface Later {
  resolve(reply: Reply): void;
  reject(error: unknown): void;
}

const NOTHING: Reply = { frames: [] };
/** #step's answer for "queued a write: the reply follows the commit". */
const WAIT = Symbol("wait");
const NO_LATER: Later = { resolve() {}, reject() {} };
const LOGIN_REQUIRED = "error: login required";
/** The reply (or, where the protocol has no reply, the last frame) when the database is down. */
export const STORAGE_UNAVAILABLE = "error: storage unavailable";

/** Keyword frames in the command phase. Any other frame is a public post (as in the seed). */
export const COMMANDS = [
  "quit",
  "dm",
  "listdm",
  "listdms",
  "list",
  "register",
  "login",
  "who",
  "since",
  "dmsince",
  "unread",
] as const;

export class Session {
  readonly #board: Board;
  readonly #remote: string;
  #phase: Phase = { kind: "username" };
  #username: string | null = null;
  /** nameKey(#username), computed once: `locked` is checked on every post. */
  #nameKey = "";
  #loggedIn = false;

  constructor(board: Board, remoteAddress: string) {
    this.#board = board;
    this.#remote = remoteAddress;
  }

  /** The frame the server sends first. */
  banner(): string {
    return BANNER;
  }

  get username(): string | null {
    return this.#username;
  }

  get loggedIn(): boolean {
    return this.#loggedIn;
  }

  /** True when the name is registered and this session has not logged in to it. */
  get locked(): boolean {
    return (
      this.#username !== null &&
      !this.#loggedIn &&
      this.#board.accounts.isRegisteredKey(this.#nameKey)
    );
  }

  get isClosed(): boolean {
    return this.#phase.kind === "closed";
  }

  /** Handles one frame; resolves once its effects are stored. */
  handle(frame: Uint8Array): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const reply = this.handleNow(frame, { resolve, reject });
      if (reply !== null) resolve(reply);
    });
  }

  /**
   * Handles one frame, the transport's fast path: returns the reply when it is ready now, else
   * null and settles `later` (never synchronously) once the command's effects are stored. A post
   * or DM costs no promise: the store settles the session's own write slot after the commit.
   * The frame is read before this returns, so it may be a view the caller reuses. One command
   * at a time: call again only after `later` settled.
   */
  handleNow(frame: Uint8Array, later: Later): Reply | null {
    this.#later = later;
    const reply = this.#step(frame);
    if (reply === WAIT) return null;
    if (reply instanceof Promise) {
      reply.then(later.resolve, later.reject);
      return null;
    }
    return reply;
  }

  #step(frame: Uint8Array): Reply | Promise<Reply> | typeof WAIT {
    const phase = this.#phase;
    const text = decode(frame);
    switch (phase.kind) {
      case "closed":
        return { frames: [], close: true };
      case "username":
        return this.#onUsername(text, frame);
      case "command":
        return this.#onCommand(text, frame);
      case "dm-recipient": {
        const problem =
          text === null
            ? notUtf8(frame, "recipient")
            : usernameProblem(text, this.#board.maxUsernameChars, "recipient");
        if (problem) this.#refuse("dm", problem);
        this.#phase = { kind: "dm-text", recipient: problem ? null : text };
        return NOTHING;
      }
      case "dm-text":
        this.#phase = { kind: "command" };
        return this.#onDmText(phase.recipient, text, frame);
      case "password":
        this.#phase = { kind: "command" };
        return this.#onPassword(phase.for, text);
      case "since-id":
        this.#phase = { kind: "command" };
        return this.#onSinceId(phase.for, text);
    }
  }

  /** The connection is gone: leave the online list. */
  end(): void {
    if (this.#phase.kind !== "closed" && this.#username !== null) this.#board.leave(this.#username);
    this.#phase = { kind: "closed" };
  }

  #onUsername(name: string | null, frame: Uint8Array): Reply | Promise<Reply> {
    const problem =
      name === null
        ? notUtf8(frame, "username")
        : usernameProblem(name, this.#board.maxUsernameChars);
    if (problem || name === null) {
      this.#board.log({
        level: "warn",
        event: "refused",
        what: "username",
        reason: problem,
        remote: this.#remote,
      });
      this.#phase = { kind: "closed" };
      return { frames: [`error: invalid username: ${problem}`], close: true };
    }
    this.#username = name;
    this.#nameKey = nameKey(name);
    this.#board.join(name);
    this.#phase = { kind: "command" };
    this.#board.log({ level: "info", event: "session.start", user: name, remote: this.#remote });
    // With a shared database, the name may have been registered by another instance.
    const refreshed = this.#board.accounts.refreshName(name);
    return refreshed ? refreshed.then(() => NOTHING) : NOTHING;
  }

  /** Queues `write` for the next group commit; `#later` settles after it (see handleNow). */
  #store(write: Write): typeof WAIT {
    const later = this.#later;
    if (later === null) throw new Error("handleNow without a settle target");
    if (this.#slot.write === null) {
      // One command in flight per session, so one reusable slot: no allocation per post.
      this.#slot.write = write;
      this.#slotLater = later;
      this.#board.store.submit(this.#slot as Pending);
    } else {
      // Only if a caller broke the one-at-a-time rule: a slot of its own.
      this.#board.store.submit({
        write,
        resolve: (id) => this.#stored(write, id, later),
        reject: later.reject,
      });
    }
    return WAIT;
  }

  readonly #slot: { write: Write | null; resolve(id: number): void; reject(error: Error): void } = {
    write: null,
    resolve: (id) => {
      const write = this.#slot.write as Write;
      this.#slot.write = null;
      this.#stored(write, id, this.#slotLater);
    },
    reject: (error) => {
      this.#slot.write = null;
      this.#slotLater.reject(error);
    },
  };
  #slotLater: Later = NO_LATER;
  #later: Later | null = null;

  #stored(write: Write, id: number, later: Later): void {
    if (write.kind === "post") {
      this.#board.log({ level: "debug", event: "post", user: write.author, id });
    } else if (write.kind === "dm") {
      this.#board.log({ level: "debug", event: "dm", user: write.sender, to: write.recipient, id });
    }
    later.resolve(NOTHING);
  }

  #onCommand(text: string | null, frame: Uint8Array): Reply | Promise<Reply> | typeof WAIT {
    const user = this.#username ?? "";
    const board = this.#board;
    switch (text) {
      case "quit":
        board.log({ level: "info", event: "session.quit", user });
        this.end();
        return { frames: [], close: true };
      case "dm":
        this.#phase = { kind: "dm-recipient" };
        return NOTHING;
      case "listdm":
      case "listdms": {
        if (this.locked) return { frames: [LOGIN_REQUIRED] };
        return this.#listDms(user);
      }
      case "list":
        return this.#postListing(0, (a, b) => `${a} ${b}`);
      case "register":
      case "login":
        this.#phase = { kind: "password", for: text };
        return NOTHING;
      case "since":
      case "dmsince":
        this.#phase = { kind: "since-id", for: text };
        return NOTHING;
      case "who":
        return board.presence
          ? board.who().then((names) => ({ frames: [], listing: rowsListing(names) }))
          : { frames: [], listing: rowsListing(board.online()) };
      case "unread": {
        if (this.locked) return { frames: [LOGIN_REQUIRED] };
        const n = board.store.unreadDmCount(user);
        return typeof n === "number"
          ? { frames: [String(n)] }
          : n.then((count) => ({ frames: [String(count)] }));
      }
      default:
        return this.#onPost(text, frame);
    }
  }

  async #listDms(user: string): Promise<Reply> {
    const dms = await this.#board.store.dms(user);
    await this.#markRead(dms);
    return { frames: [], listing: rowsListing(dms.map((m) => `${m.sender} ${m.body}`)) };
  }

  #onPost(text: string | null, frame: Uint8Array): Reply | typeof WAIT {
    const user = this.#username ?? "";
    if (this.locked) {
      this.#board.log({
        level: "warn",
        event: "refused",
        what: "post",
        reason: "login required",
        user,
      });
      return { frames: [LOGIN_REQUIRED] };
    }
    // No reply in the seed protocol: a refused post is logged and not stored.
    const problem = this.#textRefusal(text, frame);
    if (problem || text === null) {
      this.#refuse("post", problem ?? "", frame.length);
      return NOTHING;
    }
    return this.#store({ kind: "post", author: user, body: text });
  }

  #onDmText(
    recipient: string | null,
    text: string | null,
    frame: Uint8Array,
  ): Reply | Promise<Reply> | typeof WAIT {
    const user = this.#username ?? "";
    if (this.locked) {
      this.#board.log({
        level: "warn",
        event: "refused",
        what: "dm",
        reason: "login required",
        user,
      });
      return { frames: [LOGIN_REQUIRED] };
    }
    if (recipient === null) return NOTHING; // refused (and logged) at the recipient frame
    const problem = this.#textRefusal(text, frame);
    if (problem || text === null) {
      this.#refuse("dm", problem ?? "", frame.length);
      return NOTHING;
    }
    return this.#store({ kind: "dm", sender: user, recipient, body: text });
  }

  async #onPassword(kind: "register" | "login", password: string | null): Promise<Reply> {
    const user = this.#username ?? "";
    const accounts = this.#board.accounts;
    if (password === null) return { frames: ["error: password is not UTF-8"] };
    let result: Awaited<ReturnType<typeof accounts.register>>;
    try {
      result =
        kind === "register"
          ? await accounts.register(user, password)
          : await accounts.login(user, password, this.#remote);
    } catch (error) {
      if (!(error instanceof BbsError) || error.code !== "STORAGE_UNAVAILABLE") throw error;
      this.#board.log({ level: "error", event: `${kind}.fail`, user, reason: error.message });
      return { frames: [STORAGE_UNAVAILABLE] };
    }
    if (!result.ok) {
      this.#board.log({
        level: "warn",
        event: `${kind}.fail`,
        user,
        remote: this.#remote,
        reason: result.reason,
      });
      return { frames: [`error: ${result.reason}`] };
    }
    this.#loggedIn = true;
    this.#board.log({ level: "info", event: kind, user, remote: this.#remote });
    return { frames: ["ok"] };
  }

  async #onSinceId(kind: "since" | "dmsince", text: string | null): Promise<Reply> {
    if (text === null || !/^\d{1,15}$/.test(text)) {
      return { frames: ["error: id must be a decimal integer"] };
    }
    const after = Number(text);
    const board = this.#board;
    if (kind === "since") return this.#postListing(after, detailed);
    if (this.locked) return { frames: [LOGIN_REQUIRED] };
    const dms = await board.store.dms(this.#username ?? "", after);
    await this.#markRead(dms);
    return {
      frames: [],
      listing: rowsListing(dms.map((m) => detailed(m.sender, m.body, m.id, m.createdMs))),
    };
  }

  async #markRead(dms: { id: number }[]): Promise<void> {
    const last = dms[dms.length - 1];
    if (last) await this.#board.store.markDmsRead(this.#username ?? "", last.id);
  }

  /**
   * Posts after afterId up to the newest one now: the count now, the rows page by page as the
   * client reads. Synchronous with SQLite (one promise per listing, not per page).
   */
  #postListing(
    afterId: number,
    format: (author: string, body: string, id: number, createdMs: number) => string,
  ): Reply | Promise<Reply> {
    const store = this.#board.store;
    const pageRows = this.#board.listPageRows;
    const upto = store.lastPostId();
    if (typeof upto === "number") {
      const count = store.countPosts(afterId, upto);
      if (typeof count === "number") {
        function* pages(): Generator<string[]> {
          let cursor = afterId;
          while (cursor < (upto as number)) {
            const rows = store.postRows(cursor, upto as number, pageRows);
            if (!Array.isArray(rows)) throw new Error("store changed from sync to async");
            const last = rows[rows.length - 1];
            if (!last) return;
            yield rows.map(([id, author, body, createdMs]) => format(author, body, id, createdMs));
            cursor = last[0];
          }
        }
        return { frames: [], listing: { count, pages: pages() } };
      }
    }
    return (async () => {
      const uptoId = await upto;
      const count = await store.countPosts(afterId, uptoId);
      async function* pages(): AsyncGenerator<string[]> {
        let cursor = afterId;
        while (cursor < uptoId) {
          const rows = await store.postRows(cursor, uptoId, pageRows);
          const last = rows[rows.length - 1];
          if (!last) return;
          yield rows.map(([id, author, body, createdMs]) => format(author, body, id, createdMs));
          cursor = last[0];
        }
      }
      return { frames: [], listing: { count, pages: pages() } };
    })();
  }

  #textRefusal(text: string | null, frame: Uint8Array): string | null {
    if (text === null) return notUtf8(frame, "text");
    return textProblem(text, this.#board.maxTextBytes, frame.length);
  }

  #refuse(what: string, reason: string, bytes?: number): void {
    this.#board.log({
      level: "warn",
      event: "refused",
      what,
      reason,
      bytes,
      user: this.#username,
      remote: this.#remote,
    });
  }
}

/** `<id> <ISO time> <name> <text>`: the rows of `since` and `dmsince`. */
function detailed(name: string, body: string, id: number, createdMs: number): string {
  return `${id} ${new Date(createdMs).toISOString()} ${name} ${body}`;
}

function rowsListing(rows: string[]): Listing {
  return { count: rows.length, pages: [rows] };
}

/** The frame as text, or null when it is not UTF-8 (refused like any other bad text). */
function decode(frame: Uint8Array): string | null {
  const text = decodeUtf8(frame);
  return typeof text === "string" ? text : null;
}

/** Names the first bad byte: "username is not valid UTF-8 (byte 0xFF at 3)". */
function notUtf8(frame: Uint8Array, subject: string): string {
  return utf8Problem(frame, subject)?.message ?? `${subject} is not valid UTF-8`;
}
