// `up --instances 2 --redis --postgres`: two of each scalable service sharing real Redis and PostgreSQL.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { connect, frames, lines } from "@netkit/framing";
import {
  havePostgres,
  haveRedis,
  startPostgres,
  startRedis,
  type TestPostgres,
  type TestRedis,
} from "@netkit/testkit";

const main = join(import.meta.dir, "..", "src", "main.ts");
const ready = haveRedis() && havePostgres();
let redis: TestRedis;
let pg: TestPostgres;
let up: Bun.Subprocess<"ignore", "pipe", "pipe"> | undefined;
let table = "";
const decode = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

beforeAll(async () => {
  if (!ready) return;
  redis = await startRedis();
  pg = await startPostgres();
  const url = await pg.createDatabase("netkit_up");
  up = Bun.spawn(
    [
      "bun",
      main,
      "up",
      "--instances",
      "2",
      "--redis",
      redis.url,
      "--postgres",
      url,
      "--data",
      `${Bun.env.TMPDIR ?? "/tmp"}/netkit-up-scaled-${process.pid}`,
      "--log-level",
      "warn",
    ],
    { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  const reader = up.stdout.getReader();
  const deadline = Date.now() + 20_000;
  while (!table.includes("Ctrl-C") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    table += decode(value);
  }
  reader.releaseLock();
}, 60_000);

afterAll(async () => {
  up?.kill("SIGINT");
  if (up) expect(await up.exited).toBe(0);
  await redis?.stop();
  await pg?.stop();
}, 30_000);

test.skipIf(!ready)("prints two instances of chat, bbs and httpchat", () => {
  for (const listening of ["5002", "5003", "10333", "10335", "8888", "8889"]) {
    expect(table).toContain(`127.0.0.1:${listening}`);
  }
});

test.skipIf(!ready)(
  "a chat line said on instance 1 reaches a client of instance 2",
  async () => {
    const a = await connect({ hostname: "127.0.0.1", port: 5002, protocol: lines() });
    const b = await connect({ hostname: "127.0.0.1", port: 5003, protocol: lines() });
    await a.receive(); // greeting
    a.send("ann");
    await b.receive();
    b.send("bob");
    const heard: string[] = [];
    const deadline = Date.now() + 10_000;
    a.send("hello from instance one");
    while (
      !heard.some((l) => l.includes("ann: hello from instance one")) &&
      Date.now() < deadline
    ) {
      const line = await Promise.race([b.receive(), Bun.sleep(1000).then(() => "")]);
      if (line === undefined) break;
      heard.push(line);
    }
    expect(heard.some((l) => l.includes("ann: hello from instance one"))).toBe(true);
    a.close();
    b.close();
  },
  20_000,
);

test.skipIf(!ready)(
  "a BBS post on instance 1 is listed on instance 2 (shared PostgreSQL)",
  async () => {
    const a = await connect({ hostname: "127.0.0.1", port: 10333, protocol: frames() });
    expect(decode(await a.receive())).toBe("BBS Server 1.2");
    a.send("carol");
    a.send("posted through instance one");
    a.send("list"); // answered after the post is stored
    const count = Number(decode(await a.receive()));
    for (let i = 0; i < count; i++) await a.receive();
    a.send("quit");
    const b = await connect({ hostname: "127.0.0.1", port: 10335, protocol: frames() });
    expect(decode(await b.receive())).toBe("BBS Server 1.2");
    b.send("dave");
    b.send("list");
    const listed: string[] = [];
    const n = Number(decode(await b.receive()));
    for (let i = 0; i < n; i++) listed.push(decode(await b.receive()));
    expect(listed).toContain("carol posted through instance one");
    b.send("quit");
  },
  20_000,
);

test.skipIf(!ready)(
  "a web chat POST on instance 1 is served by instance 2",
  async () => {
    const posted = await fetch("http://127.0.0.1:8888/chat", {
      method: "POST",
      body: JSON.stringify({ text: "over postgres", name: "erin" }),
    });
    expect(posted.status).toBe(201);
    const { id } = (await posted.json()) as { id: number };
    const got = await fetch(`http://127.0.0.1:8889/messages?since=${id - 1}`);
    const messages = (await got.json()) as { id: number; text: string }[];
    expect(messages.map((m) => m.text)).toContain("over postgres");
  },
  20_000,
);
