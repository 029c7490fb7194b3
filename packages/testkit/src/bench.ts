// Helpers for the benches that run a server and a load generator as separate processes (the chat
// and WebSocket fan-out benches): pinning to a core, CPU time from /proc, the port a server prints.
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's times (getconf CLK_TCK: 100 on Linux). */
const TICKS_PER_SECOND = 100;

const taskset = Bun.which("taskset");
const prlimit = Bun.which("prlimit");

/** Whether `pinned` can pin (taskset from util-linux is installed); benches say so when not. */
export const canPin = taskset !== null;

/**
 * `argv` run on one CPU core (taskset execs it, so the spawned pid is the program's own), with
 * at least `openFiles` file descriptors when given and the current soft limit is lower (prlimit
 * execs too).
 */
export function pinned(core: number, argv: string[], openFiles = 0): string[] {
  let command = taskset ? [taskset, "-c", String(core), ...argv] : argv;
  const [soft, hard] = openFileLimits();
  if (openFiles > soft && prlimit) {
    command = [prlimit, `--nofile=${openFiles}:${Math.max(hard, openFiles)}`, ...command];
  }
  return command;
}

/** [soft, hard] "Max open files" of this process. */
function openFileLimits(): [number, number] {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"));
  const [soft, hard] = (line?.slice(26).trim().split(/\s+/) ?? []).map((n) =>
    n === "unlimited" ? Number.POSITIVE_INFINITY : Number(n),
  );
  return [soft ?? 1024, hard ?? 1024];
}

/**
 * User and kernel CPU seconds of processes (all their threads: the process line of
 * /proc/<pid>/stat sums them, GC and I/O threads included), added up.
 */
export function cpuTimes(pids: readonly (number | "self")[]): { user: number; system: number } {
  let user = 0;
  let system = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    user += Number(fields[11]) / TICKS_PER_SECOND; // field 14, utime
    system += Number(fields[12]) / TICKS_PER_SECOND; // field 15, stime
  }
  return { user, system };
}

/** The first line a process prints (a server prints its port), or a throw after `timeoutMs`. */
export async function firstLine(
  stream: ReadableStream<Uint8Array>,
  timeoutMs = 10_000,
): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`no line within ${timeoutMs} ms (got ${JSON.stringify(text)})`);
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  return text.split("\n")[0]!.trim();
}

/** The 1-minute load average: other work on a shared machine shows up here. */
export function loadAverage(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/** Latency samples in ms, grown as needed; percentiles by nearest rank. */
export class LatencySamples {
  #values = new Float64Array(1 << 20);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  record(ms: number): void {
    if (this.#count === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[this.#count++] = ms;
  }

  /** p50, p99 and max (NaN without samples). */
  summary(): { p50: number; p99: number; max: number } {
    const sorted = this.#values.subarray(0, this.#count).sort();
    const at = (p: number) =>
      this.#count ? sorted[Math.min(this.#count - 1, Math.floor(p * this.#count))]! : Number.NaN;
    return {
      p50: at(0.5),
      p99: at(0.99),
      max: this.#count ? sorted[this.#count - 1]! : Number.NaN,
    };
  }
}

/**
 * Calls `send(nowMs)` at a steady `perSecond` for `seconds` (a 1 ms tick that catches up on
 * what is due, so a late tick sends more rather than lowering the rate). Resolves with the count.
 */
export function paceSends(
  perSecond: number,
  seconds: number,
  send: (nowMs: number) => void,
): Promise<number> {
  const startMs = performance.now();
  let sent = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const nowMs = performance.now();
      const elapsed = (nowMs - startMs) / 1000;
      if (elapsed >= seconds) {
        resolve(sent);
        return;
      }
      for (let due = Math.floor(perSecond * elapsed) - sent; due > 0; due--) {
        send(nowMs);
        sent++;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
}
