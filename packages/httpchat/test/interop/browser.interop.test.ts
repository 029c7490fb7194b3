// Headless Chromium against the chat: two pages talk over WebSocket, markup stays text, a restart
// is survived, the page works over HTTPS (wss) with a certificate Chromium was told to trust, it
// falls back to long polling when /ws is off, and a foreign page cannot open the chat's socket.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestCertificate, requireTool, type TestCertificate } from "@netkit/testkit";
import { type Browser, chromium, type Page } from "playwright-core";
import { startWebChatServer, type WebChatServer } from "../../src/index.ts";

/** The page's `document`, as far as the functions run inside Chromium use it (this file has no DOM lib). */
declare const isSecureContext: boolean;
declare const document: {
  getElementById(id: string): {
    textContent: string | null;
    classList: { contains(c: string): boolean };
    dataset: Record<string, string | undefined>;
  } | null;
  querySelectorAll(
    selector: string,
  ): ArrayLike<{ textContent: string | null }> & Iterable<{ textContent: string | null }>;
};

const chromiumPath = requireTool("chromium", "chromium");
const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;
const XSS = "<img src=x onerror=alert(1)>";

let dir = "";
let dbPath = "";
let chat: WebChatServer;
let browser: Browser | undefined;
let port = 0;
let certificate: TestCertificate;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "httpchat-browser-"));
  dbPath = join(dir, "chat.sqlite");
  certificate = await makeTestCertificate(dir, "localhost");
  chat = await startWebChatServer({ port: 0, dbPath, tls: { ...certificate, port: 0 } });
  port = chat.port;
  if (!chromiumPath) return;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: 20_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // trust exactly this test certificate's key, as a user would by installing it
      `--ignore-certificate-errors-spki-list=${certificate.spki}`,
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await chat.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A page of the chat, once its status says `state` ("live": on the WebSocket). */
async function openPage(origin = `http://127.0.0.1:${port}`, state = "live"): Promise<Page> {
  const page = await (browser as Browser).newPage({ viewport: { width: 390, height: 700 } });
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  (page as Page & { dialogs?: string[] }).dialogs = dialogs;
  // A Content-Security-Policy violation is reported on the console as an error.
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  (page as Page & { consoleErrors?: string[] }).consoleErrors = consoleErrors;
  // What went over the network: long polls, and WebSocket frames received.
  const traffic = { polls: 0, sockets: 0, framesReceived: 0 };
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/messages") traffic.polls += 1;
  });
  page.on("websocket", (socket) => {
    traffic.sockets += 1;
    socket.on("framereceived", () => {
      traffic.framesReceived += 1;
    });
  });
  (page as Page & { traffic?: typeof traffic }).traffic = traffic;
  await page.goto(`${origin}/`);
  await waitForState(page, state);
  return page;
}

const stateOf = (page: Page) =>
  page.evaluate(() => document.getElementById("status")?.dataset.state);

function waitForState(page: Page, state: string, timeout = 10_000): Promise<unknown> {
  return page.waitForFunction(
    (s) => document.getElementById("status")?.dataset.state === s,
    state,
    { timeout },
  );
}

const trafficOf = (page: Page) =>
  (page as Page & { traffic: { polls: number; sockets: number; framesReceived: number } }).traffic;

async function say(page: Page, name: string, text: string): Promise<void> {
  await page.fill("#name", name);
  await page.fill("#text", text);
  await page.press("#text", "Enter");
}

const texts = (page: Page) =>
  page.$$eval("#messages li .text", (items) => items.map((i) => i.textContent));

test.skipIf(!chromiumPath)(
  "a message typed in one page appears in the other at once over WebSocket, markup shown as text",
  async () => {
    const alice = await openPage();
    const bob = await openPage();
    await alice.fill("#name", "alice");
    await alice.fill("#text", "hello bob");
    const started = performance.now();
    await alice.press("#text", "Enter");
    expect(await alice.inputValue("#text")).toBe(""); // Enter clears the field
    await bob.waitForFunction(
      () =>
        [...document.querySelectorAll("#messages li .text")].some(
          (e) => e.textContent === "hello bob",
        ),
      null,
      { timeout: 2000, polling: 5 },
    );
    const deliveredMs = performance.now() - started;
    expect(deliveredMs).toBeLessThan(1000); // ~65 ms on an idle machine; the transport check is below
    console.log(`browser to browser over WebSocket: ${deliveredMs.toFixed(0)} ms`);
    await say(bob, "bob", XSS);
    await alice.waitForFunction(
      (xss) =>
        [...document.querySelectorAll("#messages li .text")].some((e) => e.textContent === xss),
      XSS,
      { timeout: 2000 },
    );
    expect(await alice.$$("#messages img")).toHaveLength(0);
    expect((alice as Page & { dialogs?: string[] }).dialogs).toEqual([]);
    // The page works under its strict CSP: nothing it does was blocked.
    expect((alice as Page & { consoleErrors?: string[] }).consoleErrors).toEqual([]);
    const csp = await alice.evaluate(async () => {
      const res = await fetch("/");
      return res.headers.get("content-security-policy");
    });
    expect(csp).toContain("script-src 'self'");
    expect(await texts(alice)).toEqual(["hello bob", XSS]);
    expect(await alice.textContent("#messages li:first-child .name")).toBe("alice");
    // Both pages are on the WebSocket, and it carried the messages: not one long poll was made.
    for (const page of [alice, bob]) {
      expect(await stateOf(page)).toBe("live");
      expect(await page.textContent("#status")).toBe("live");
      expect(trafficOf(page).polls).toBe(0);
      expect(trafficOf(page).sockets).toBe(1);
      expect(trafficOf(page).framesReceived).toBeGreaterThanOrEqual(2);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    await alice.screenshot({ path: join(ARTIFACTS, "chat-two-pages.png"), fullPage: true });
    await alice.close();
    await bob.close();
  },
  30_000,
);

test.skipIf(!chromiumPath)(
  "Chromium agrees to permessage-deflate on /ws, and compressed messages arrive both ways",
  async () => {
    const page = await openPage();
    // Long and repetitive: over the compression threshold, so it travels compressed both ways.
    const text = `${"compress me please, ".repeat(90)}end`;
    const result = await page.evaluate(
      async ({ url, text }) => {
        const socket = new WebSocket(url);
        await new Promise((resolve, reject) => {
          socket.onopen = resolve;
          socket.onerror = () => reject(new Error("the socket did not open"));
        });
        const frames: string[] = [];
        const two = new Promise<void>((resolve) => {
          socket.onmessage = (event) => {
            frames.push(String(event.data));
            if (frames.length === 2) resolve();
          };
        });
        socket.send(JSON.stringify({ name: "chromium", text })); // compressed by Chromium
        await two; // the push of that post (compressed by us) and the ack
        const extensions = socket.extensions;
        socket.close(1000);
        return { extensions, frames: frames.map((f) => JSON.parse(f)) };
      },
      { url: `ws://127.0.0.1:${port}/ws`, text },
    );
    expect(result.extensions).toContain("permessage-deflate");
    expect(result.extensions).toContain("server_no_context_takeover");
    expect(result.extensions).toContain("client_no_context_takeover");
    const pushed = result.frames.find((f) => "text" in f);
    expect(pushed).toMatchObject({ name: "chromium", text });
    expect(result.frames).toContainEqual({ posted: pushed.id });
    // The page's own socket (Chromium offers permessage-deflate on every socket) shows it too.
    await page.waitForFunction(
      (t) => [...document.querySelectorAll("#messages li .text")].some((e) => e.textContent === t),
      text,
      { timeout: 2000 },
    );
    expect(trafficOf(page).polls).toBe(0);
    await page.close();
  },
  30_000,
);

test.skipIf(!chromiumPath)(
  "the page survives a server restart and catches up without gaps or duplicates",
  async () => {
    const page = await openPage();
    // "live" means the socket is open; the catch-up of the history arrives on it right after.
    const before = (await chat.store.since(0, 1000)).length;
    await page.waitForFunction(
      (n) => document.querySelectorAll("#messages li").length === n,
      before,
      { timeout: 5000 },
    );
    await chat.stop();
    await waitForState(page, "offline", 5000);
    chat = await startWebChatServer({ port, dbPath, tls: { ...certificate, port: 0 } });
    for (const text of ["after restart 1", "after restart 2"]) {
      await fetch(`http://127.0.0.1:${port}/chat`, {
        method: "POST",
        body: JSON.stringify({ text }),
      });
    }
    await page.waitForFunction(
      (n) => document.querySelectorAll("#messages li").length >= n,
      before + 2,
      { timeout: 10_000 },
    );
    await say(page, "carol", "sent after restart");
    await page.waitForFunction(
      (n) => document.querySelectorAll("#messages li").length >= n,
      before + 3,
      { timeout: 5000 },
    );
    const shown = await texts(page);
    expect(shown.slice(before)).toEqual([
      "after restart 1",
      "after restart 2",
      "sent after restart",
    ]);
    const ids = await page.$$eval("#messages li", (items) =>
      items.map((i) => Number(i.dataset.id)),
    );
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    // Back on a WebSocket (a new one), not left on long polling.
    await waitForState(page, "live", 10_000);
    expect(trafficOf(page).sockets).toBeGreaterThanOrEqual(2);
    await page.close();
  },
  30_000,
);

test.skipIf(!chromiumPath)(
  "over HTTPS the page loads as a secure context and talks to a page on the plain port",
  async () => {
    const secure = await openPage(`https://localhost:${chat.tlsPort}`);
    const plain = await openPage();
    expect(await secure.evaluate(() => isSecureContext)).toBe(true);
    // openPage waited for "live": the page is on wss://, allowed by connect-src 'self'.
    expect(trafficOf(secure).polls).toBe(0);
    expect((secure as Page & { consoleErrors?: string[] }).consoleErrors).toEqual([]);
    await say(secure, "tess", "sent over https");
    await plain.waitForFunction(
      () =>
        [...document.querySelectorAll("#messages li .text")].some(
          (e) => e.textContent === "sent over https",
        ),
      null,
      { timeout: 2000 },
    );
    await secure.close();
    await plain.close();
  },
  30_000,
);

test.skipIf(!chromiumPath)(
  "with WebSocket off on the server, the page says so, long-polls, and still sends and receives",
  async () => {
    const noSockets = await startWebChatServer({
      port: 0,
      dbPath: join(dir, "polling.sqlite"),
      webSocket: false,
    });
    try {
      const origin = `http://127.0.0.1:${noSockets.port}`;
      const page = await openPage(origin, "polling");
      expect(await page.textContent("#status")).toBe("polling (no WebSocket)");
      expect(trafficOf(page).sockets).toBeGreaterThanOrEqual(1); // it did try
      const started = performance.now();
      await fetch(`${origin}/chat`, { method: "POST", body: '{"text":"to a polling page"}' });
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll("#messages li .text")].some(
            (e) => e.textContent === "to a polling page",
          ),
        null,
        { timeout: 2000, polling: 5 },
      );
      console.log(`to a long-polling page: ${(performance.now() - started).toFixed(0)} ms`);
      await say(page, "pat", "from a polling page");
      await page.waitForFunction(
        () => document.querySelectorAll("#messages li").length === 2,
        null,
        { timeout: 5000 },
      );
      expect(await texts(page)).toEqual(["to a polling page", "from a polling page"]);
      expect(trafficOf(page).polls).toBeGreaterThan(0);
      expect(await stateOf(page)).toBe("polling");
      await page.close();
    } finally {
      await noSockets.stop();
    }
  },
  30_000,
);

test.skipIf(!chromiumPath)(
  "a page from another origin cannot open the chat's WebSocket (403), the chat's own page can",
  async () => {
    // A foreign site with no CSP of its own, so only the chat's Origin check can stop it.
    const foreign = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        new Response("<!doctype html><p>elsewhere</p>", {
          headers: { "content-type": "text/html" },
        }),
    });
    const tryOpen = (url: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url);
        ws.onopen = () => {
          ws.close();
          resolve("open");
        };
        ws.onerror = () => resolve("error");
      });
    try {
      const page = await (browser as Browser).newPage();
      await page.goto(`http://127.0.0.1:${foreign.port}/`);
      expect(await page.evaluate(tryOpen, `ws://127.0.0.1:${port}/ws`)).toBe("error");
      await page.close();
      const own = await openPage();
      expect(await own.evaluate(tryOpen, `ws://127.0.0.1:${port}/ws`)).toBe("open");
      await own.close();
    } finally {
      await foreign.stop(true);
    }
  },
  30_000,
);
