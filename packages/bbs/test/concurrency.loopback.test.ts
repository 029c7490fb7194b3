// 500 concurrent clients posting and sending DMs at once; the counts afterwards are exact.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type BbsServer, startBbsServer } from "../src/index.ts";
import { RawClient } from "./helpers.ts";

let server: BbsServer;
beforeAll(async () => {
  // 500 clients from one address: the per-address cap (64 by default) is for attackers, off here.
  server = await startBbsServer({ port: 0, dbPath: ":memory:", maxConnectionsPerAddress: 0 });
});
afterAll(async () => {
  await server.stop();
});

test("500 concurrent clients, 20 posts and 2 DMs each: every one stored exactly once, in order", async () => {
  const clients = 500;
  const posts = 20;
  const sessions = await Promise.all(
    Array.from({ length: clients }, (_, i) => RawClient.session(server.port, `c${i}`)),
  );
  await Promise.all(
    sessions.map(async (c, i) => {
      for (let p = 0; p < posts; p++) c.send(`n${p}`);
      c.send("dm", `c${(i + 1) % clients}`, `to next ${i}`);
      c.send("dm", `c${(i + clients - 1) % clients}`, `to prev ${i}`);
      c.send("who");
      expect((await c.listing(20_000)).length).toBe(clients);
    }),
  );
  expect(server.store.stats.writes).toBe(clients * (posts + 2));
  // group commit batched the concurrent writers
  expect(server.store.stats.commits).toBeLessThan(clients * (posts + 2));

  const reader = sessions[0] as RawClient;
  reader.send("list");
  const rows = await reader.listing(20_000);
  expect(rows.length).toBe(clients * posts);
  const perClient = new Map<string, string[]>();
  for (const row of rows) {
    const [name, text] = row.split(" ") as [string, string];
    perClient.set(name, [...(perClient.get(name) ?? []), text]);
  }
  expect(perClient.size).toBe(clients);
  for (const texts of perClient.values()) {
    expect(texts).toEqual(Array.from({ length: posts }, (_, p) => `n${p}`));
  }
  await Promise.all(
    sessions.map(async (c, i) => {
      c.send("listdms");
      const dms = await c.listing(20_000);
      expect(dms.sort()).toEqual(
        [
          `c${(i + 1) % clients} to prev ${(i + 1) % clients}`,
          `c${(i + clients - 1) % clients} to next ${(i + clients - 1) % clients}`,
        ].sort(),
      );
    }),
  );
  for (const c of sessions) c.close();
}, 60_000);
