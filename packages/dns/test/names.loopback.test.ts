import { afterEach, beforeEach, expect, test } from "bun:test";
import { prefixFrame, rawFramedClient } from "@netkit/testkit";
import { lookupName } from "../src/names/client.ts";
import { type NameService, normalizeServiceName, startNameService } from "../src/names/service.ts";

const table: Record<string, string> = {
  "bbs.netkit.test": "127.0.0.1",
  "chat.netkit.test": "127.0.0.2",
};
let service: NameService;

beforeEach(async () => {
  service = await startNameService({ port: 0, lookup: (name) => table[name] ?? null });
});
afterEach(async () => {
  await service.stop();
});

/** A raw client of the name service (testkit's, 4-byte prefix), frames read as text. */
async function rawClient() {
  const client = await rawFramedClient(service.port, 4);
  return {
    ...client,
    get frames() {
      return client.texts;
    },
    frame: (text: string) => prefixFrame(text, 4),
  };
}

test("greets with the banner, then answers several names on one connection", async () => {
  const c = await rawClient();
  await c.waitFor(() => c.frames.length === 1);
  expect(c.frames[0]).toBe("DNS Server 1.0");
  c.socket.write(c.frame("bbs.netkit.test"));
  c.socket.write(c.frame("  CHAT.Netkit.Test.  "));
  c.socket.write(c.frame("nope.netkit.test"));
  c.socket.write(c.frame(""));
  c.socket.write(c.frame(`${"a".repeat(300)}.test`));
  await c.waitFor(() => c.frames.length === 6);
  expect(c.frames.slice(1)).toEqual([
    "127.0.0.1",
    "127.0.0.2",
    "unknown domain",
    "unknown domain",
    "unknown domain",
  ]);
  c.socket.end();
});

test("a frame split byte by byte still gets its answer", async () => {
  const c = await rawClient();
  for (const b of c.frame("bbs.netkit.test")) c.socket.write(Uint8Array.of(b));
  await c.waitFor(() => c.frames.length === 2);
  expect(c.frames[1]).toBe("127.0.0.1");
  c.socket.end();
});

test("an oversize frame closes the connection", async () => {
  const c = await rawClient();
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, 1 << 20);
  c.socket.write(header);
  await c.waitFor(() => c.isClosed());
});

test("lookupName: address, unknown domain, case and trailing dot", async () => {
  const options = { port: service.port };
  expect(await lookupName("bbs.netkit.test", options)).toBe("127.0.0.1");
  expect(await lookupName("BBS.netkit.test.", options)).toBe("127.0.0.1");
  expect(await lookupName("missing.test", options)).toBeNull();
});

test("lookupName rejects when nothing listens, and when the peer is not a name service", async () => {
  const port = service.port;
  await service.stop();
  await expect(lookupName("bbs.netkit.test", { port })).rejects.toMatchObject({ code: "NETWORK" });
  const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    await expect(lookupName("x", { port: silent.port, timeoutMs: 300 })).rejects.toMatchObject({
      code: "TIMEOUT",
    });
  } finally {
    silent.stop(true);
  }
  service = await startNameService({ port: 0, lookup: () => null });
});

test("normalizeServiceName", () => {
  expect(normalizeServiceName(" Www.Example.COM. ")).toBe("www.example.com");
  expect(normalizeServiceName(" . ")).toBeNull();
  expect(normalizeServiceName("x".repeat(254))).toBeNull();
});
