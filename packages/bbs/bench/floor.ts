// `bun run bench/floor.ts`: the SQLite floor of the posting bench, in process, no sockets.
// The bench's shape under the durability rule (one post per connection per group commit):
// 1,000 transactions of 100 rows = 100,000 posts, with the real schema and statements, 5 rounds
// into one file (as the bench's 5 runs). Variations show what each knob costs. Prints ms per
// 100,000 posts (median of the rounds, and every round) and ns per post.
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateSqlite } from "@netkit/store";
import { MIGRATIONS } from "../src/store/migrations.ts";
import { BbsStore } from "../src/store/store.ts";

const TXNS = 1000;
const ROWS = 100;
const ROUNDS = Number(Bun.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "bbs-floor-"));
const author = (i: number) => `load${i}`;
const body = (p: number, i: number) => `post number ${p} from client ${i}, hello board`;

interface Variant {
  name: string;
  pragmas?: string[];
  /** Before the schema is created (page_size). */
  prePragmas?: string[];
  mode: "multi" | "single" | "single-unchecked" | "one-row-txn" | "empty-txn";
  memory?: boolean;
}

function open(v: Variant, file: string): Database {
  const db = new Database(file, { create: true, strict: true });
  for (const p of v.prePragmas ?? []) db.run(`PRAGMA ${p}`);
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  db.run("PRAGMA busy_timeout = 5000");
  db.run("PRAGMA wal_autocheckpoint = 16384");
  db.run(`PRAGMA journal_size_limit = ${64 * 1024 * 1024}`);
  db.run("PRAGMA foreign_keys = ON");
  for (const p of v.pragmas ?? []) db.run(`PRAGMA ${p}`);
  migrateSqlite(db, MIGRATIONS);
  return db;
}

function round(db: Database, v: Variant): number {
  const values = Array.from({ length: ROWS }, () => "(?, ?, ?)").join(", ");
  const multi = db.prepare<unknown, (string | number)[]>(
    `INSERT INTO posts (author, body, created_ms) VALUES ${values}`,
  );
  const single = db.query<unknown, [string, string, number]>(
    "INSERT INTO posts (author, body, created_ms) VALUES (?1, ?2, ?3)",
  );
  const begin = db.prepare("BEGIN");
  const commit = db.prepare("COMMIT");
  const params: (string | number)[] = new Array(ROWS * 3);
  const t0 = Bun.nanoseconds();
  const c0 = process.cpuUsage();
  for (let p = 0; p < TXNS; p++) {
    const t = Date.now();
    if (v.mode === "multi") {
      for (let i = 0; i < ROWS; i++) {
        params[i * 3] = author(i);
        params[i * 3 + 1] = body(p, i);
        params[i * 3 + 2] = t;
      }
      db.transaction(() => multi.run(...params))();
    } else if (v.mode === "single") {
      db.transaction(() => {
        for (let i = 0; i < ROWS; i++) single.run(author(i), body(p, i), t);
      })();
    } else if (v.mode === "single-unchecked") {
      begin.run();
      for (let i = 0; i < ROWS; i++) single.run(author(i), body(p, i), t);
      commit.run();
    } else if (v.mode === "one-row-txn") {
      db.transaction(() => single.run(author(0), body(p, 0), t))();
    } else {
      begin.run();
      commit.run();
    }
  }
  const c = process.cpuUsage(c0);
  cpu.push(`${(c.user / 1000).toFixed(0)}u+${(c.system / 1000).toFixed(0)}s`);
  return (Bun.nanoseconds() - t0) / 1e6;
}

/** The whole store: addPost() × 100 per turn, awaited (promises, setImmediate, group commit). */
async function storeRound(store: BbsStore): Promise<number> {
  const t0 = Bun.nanoseconds();
  for (let p = 0; p < TXNS; p++) {
    const waits: Promise<number>[] = new Array(ROWS);
    for (let i = 0; i < ROWS; i++) waits[i] = store.addPost(author(i), body(p, i));
    await Promise.all(waits);
  }
  return (Bun.nanoseconds() - t0) / 1e6;
}

/** The server's path: store.submit() with one reusable slot per session, no promise per post. */
async function submitRound(store: BbsStore): Promise<number> {
  const t0 = Bun.nanoseconds();
  await new Promise<void>((done) => {
    let left = ROWS;
    for (let i = 0; i < ROWS; i++) {
      let p = 0;
      const slot = {
        write: { kind: "post" as const, author: author(i), body: body(0, i) },
        resolve: () => {
          if (++p === TXNS) {
            if (--left === 0) done();
            return;
          }
          slot.write = { kind: "post", author: author(i), body: body(p, i) };
          store.submit(slot);
        },
        reject: () => {},
      };
      store.submit(slot);
    }
  });
  return (Bun.nanoseconds() - t0) / 1e6;
}

const VARIANTS: Variant[] = [
  { name: "multi-row INSERT (the store's), NORMAL, autockpt 16384", mode: "multi" },
  { name: "prepared single-row INSERT ×100", mode: "single" },
  { name: "single-row, BEGIN/COMMIT statements", mode: "single-unchecked" },
  {
    name: "multi-row, wal_autocheckpoint 1000",
    mode: "multi",
    pragmas: ["wal_autocheckpoint = 1000"],
  },
  {
    name: "multi-row, wal_autocheckpoint 0 (never)",
    mode: "multi",
    pragmas: ["wal_autocheckpoint = 0"],
  },
  {
    name: "multi-row, synchronous OFF (not durable, reference)",
    mode: "multi",
    pragmas: ["synchronous = OFF"],
  },
  { name: "multi-row, synchronous FULL", mode: "multi", pragmas: ["synchronous = FULL"] },
  {
    name: "multi-row, locking_mode EXCLUSIVE",
    mode: "multi",
    pragmas: ["locking_mode = EXCLUSIVE"],
  },
  { name: "multi-row, page_size 1024", mode: "multi", prePragmas: ["page_size = 1024"] },
  { name: "multi-row, page_size 16384", mode: "multi", prePragmas: ["page_size = 16384"] },
  { name: "multi-row, cache_size -65536", mode: "multi", pragmas: ["cache_size = -65536"] },
  { name: "multi-row, in memory (no I/O at all, reference)", mode: "multi", memory: true },
  { name: "1,000 transactions of 1 row", mode: "one-row-txn" },
  { name: "1,000 empty transactions (BEGIN; COMMIT)", mode: "empty-txn" },
];

let cpu: string[] = [];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const only = Bun.argv[3];
try {
  console.log(`${TXNS} transactions × ${ROWS} rows per round, ${ROUNDS} rounds into one file`);
  for (const [k, v] of VARIANTS.entries()) {
    if (only && !v.name.includes(only)) continue;
    const db = open(v, v.memory ? ":memory:" : join(dir, `v${k}.sqlite`));
    const ms: number[] = [];
    cpu = [];
    for (let r = 0; r < ROUNDS; r++) ms.push(round(db, v));
    db.close();
    const m = median(ms);
    console.log(
      `${v.name.padEnd(58)} ${m.toFixed(1).padStart(7)} ms  ${((m * 1e6) / (TXNS * ROWS)).toFixed(0).padStart(5)} ns/post  (${ms.map((x) => x.toFixed(1)).join(", ")})  cpu ms ${cpu.join(" ")}`,
    );
  }
  if (!only || "BbsStore.submit".includes(only)) {
    const store = new BbsStore({ path: join(dir, "submit.sqlite"), idleCheckpointMs: 0 });
    const ms: number[] = [];
    for (let r = 0; r < ROUNDS; r++) ms.push(await submitRound(store));
    await store.close();
    const m = median(ms);
    console.log(
      `${"BbsStore.submit, one slot per session (the server's path)".padEnd(58)} ${m.toFixed(1).padStart(7)} ms  ${((m * 1e6) / (TXNS * ROWS)).toFixed(0).padStart(5)} ns/post  (${ms.map((x) => x.toFixed(1)).join(", ")})`,
    );
  }
  if (!only || "BbsStore".includes(only)) {
    const store = new BbsStore({ path: join(dir, "store.sqlite"), idleCheckpointMs: 0 });
    const ms: number[] = [];
    for (let r = 0; r < ROUNDS; r++) ms.push(await storeRound(store));
    await store.close();
    const m = median(ms);
    console.log(
      `${"BbsStore.addPost ×100 per turn, awaited".padEnd(58)} ${m.toFixed(1).padStart(7)} ms  ${((m * 1e6) / (TXNS * ROWS)).toFixed(0).padStart(5)} ns/post  (${ms.map((x) => x.toFixed(1)).join(", ")})`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
