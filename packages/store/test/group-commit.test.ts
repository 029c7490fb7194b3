import { expect, test } from "bun:test";
import { GroupCommit, Settler } from "../src/index.ts";

function queue(options: { fail?: (writes: string[]) => boolean; retry?: boolean } = {}) {
  const commits: string[][] = [];
  const q = new GroupCommit<string, number>({
    async commit(writes) {
      await Bun.sleep(1);
      if (options.fail?.(writes)) throw Object.assign(new Error("bad write"), { code: "23505" });
      commits.push(writes);
      return writes.map((w) => w.length);
    },
    refuse: (error) => new Error(`refused: ${(error as Error).message}`),
    retryOneByOne: () => options.retry ?? false,
  });
  return { q, commits };
}

test("writes of one turn share one commit, and each writer gets its own result", async () => {
  const { q, commits } = queue();
  const results = await Promise.all(["a", "bb", "ccc"].map((w) => q.add(w)));
  expect(results).toEqual([1, 2, 3]);
  expect(commits).toEqual([["a", "bb", "ccc"]]);
  expect(q.stats).toEqual({ commits: 1, writes: 3, maxBatch: 3 });
});

test("writes queued during a commit go together into the next one", async () => {
  const { q, commits } = queue();
  const first = q.add("a");
  await Bun.sleep(0); // the loop has started committing "a"
  const later = Promise.all([q.add("b"), q.add("c")]);
  await Promise.all([first, later]);
  expect(commits).toEqual([["a"], ["b", "c"]]);
});

test("a failed batch is refused whole unless retryOneByOne says to retry each write", async () => {
  const whole = queue({ fail: (w) => w.includes("bad") });
  const refused = await Promise.allSettled(["ok", "bad"].map((w) => whole.q.add(w)));
  expect(refused.map((r) => r.status)).toEqual(["rejected", "rejected"]);

  const oneByOne = queue({ fail: (w) => w.includes("bad"), retry: true });
  const settled = await Promise.allSettled(["ok", "bad", "fine"].map((w) => oneByOne.q.add(w)));
  expect(settled.map((r) => (r.status === "fulfilled" ? r.value : String(r.reason)))).toEqual([
    2,
    "Error: refused: bad write",
    4,
  ]);
  expect(oneByOne.commits).toEqual([["ok"], ["fine"]]);
});

test("Settler: a callback that throws does not leave the rest of the batch unsettled", () => {
  const seen: string[] = [];
  const settle = new Settler();
  const boom = () => {
    throw new Error("boom");
  };
  settle.resolve({ resolve: boom, reject() {} }, 1);
  settle.resolve({ resolve: (n: number) => seen.push(`ok ${n}`), reject() {} }, 2);
  settle.reject({ resolve() {}, reject: (e) => seen.push(e.message) }, new Error("refused"));
  expect(seen).toEqual(["ok 2", "refused"]);
  expect(() => settle.done()).toThrow("boom");
});

test("after close(), queued writes still commit and new ones are refused (later, not inside submit)", async () => {
  const { q, commits } = queue();
  const queued = q.add("a");
  const closing = q.close();
  let settledSync = false;
  const refused = q.add("b").catch((e: Error) => e);
  refused.then(() => {
    settledSync = true;
  });
  expect(settledSync).toBe(false);
  await closing;
  expect(await queued).toBe(1);
  expect(await refused).toMatchObject({ code: "QUEUE_CLOSED" });
  expect(commits).toEqual([["a"]]);
});
