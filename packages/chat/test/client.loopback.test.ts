// The chat client against a real server, driven through streams as a pipe would drive it.
import { afterEach, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import { parseChatTarget, runChatClient } from "../src/client.ts";
import { type ChatServer, startChatServer } from "../src/server.ts";
import { LineClient } from "./helpers.ts";

let server: ChatServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function sink() {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (c: Buffer) => {
    text += c.toString();
  });
  return { stream, text: () => text };
}

test("from a pipe: names itself, sends its lines, ends cleanly at end of input", async () => {
  server = await startChatServer({ port: 0 });
  const ann = await LineClient.join(server.port, "ann");
  ann.send("hi before bob");
  const input = new PassThrough();
  const out = sink();
  const err = sink();
  const done = runChatClient({
    port: server.port,
    name: "bob",
    input,
    output: out.stream,
    errors: err.stream,
  });
  await ann.waitFor("* bob joined");
  input.end("hello from a pipe\n/me waves\n");
  expect(await ann.next()).toBe("bob: hello from a pipe");
  expect(await ann.next()).toBe("* bob waves");
  expect(await done).toBe(0);
  expect(await ann.next()).toBe("* bob left");
  expect(out.text()).toContain("* Welcome, bob! 1 other person is here.");
  expect(out.text()).toMatch(/\[history \S+\] ann: hi before bob\n/);
  expect(err.text()).toBe("");
  ann.close();
});

test("prints what arrives while input stays open; /quit ends it", async () => {
  server = await startChatServer({ port: 0 });
  const ann = await LineClient.join(server.port, "ann");
  const input = new PassThrough();
  const out = sink();
  const done = runChatClient({ port: server.port, name: "bob", input, output: out.stream });
  await ann.waitFor("* bob joined");
  ann.send("are you there?");
  for (let i = 0; i < 100 && !out.text().includes("ann: are you there?"); i++) await Bun.sleep(10);
  expect(out.text()).toContain("ann: are you there?\n");
  input.write("/quit\n");
  expect(await done).toBe(0);
  expect(out.text()).toEndWith("* Bye!\n");
  ann.close();
});

test("a server close ends the client cleanly", async () => {
  server = await startChatServer({ port: 0 });
  const input = new PassThrough();
  const out = sink();
  const done = runChatClient({ port: server.port, name: "bob", input, output: out.stream });
  for (let i = 0; i < 100 && !out.text().includes("Welcome, bob"); i++) await Bun.sleep(10);
  await server.stop();
  server = undefined;
  expect(await done).toBe(0);
  expect(out.text()).toContain("error SERVER_STOPPING");
});

test("connection refused → exit code 1 and a message", async () => {
  const probe = await startChatServer({ port: 0 });
  const port = probe.port;
  await probe.stop();
  const err = sink();
  const code = await runChatClient({
    port,
    input: new PassThrough(),
    output: sink().stream,
    errors: err.stream,
  });
  expect(code).toBe(1);
  expect(err.text()).toContain(`cannot connect to 127.0.0.1:${port}`);
});

test("parseChatTarget", () => {
  expect(parseChatTarget(undefined)).toEqual({ hostname: "127.0.0.1", port: 5002 });
  expect(parseChatTarget("example.test")).toEqual({ hostname: "example.test", port: 5002 });
  expect(parseChatTarget("10.0.0.1:6000")).toEqual({ hostname: "10.0.0.1", port: 6000 });
  expect(parseChatTarget(":6000")).toEqual({ hostname: "127.0.0.1", port: 6000 });
  expect(parseChatTarget("[::1]:7000")).toEqual({ hostname: "::1", port: 7000 });
  expect(() => parseChatTarget("host:99999")).toThrow(RangeError);
});
