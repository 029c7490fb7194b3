// Headless Chromium against the chat: two pages talk, markup stays text, a restart is survived,
// and the page works over HTTPS with a certificate Chromium was told to trust.
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
  getElementById(
    id: string,
  ): { textContent: string | null; classList: { contains(c: string): boolean } } | null;
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

async function openPage(origin = `http://127.0.0.1:${port}`): Promise<Page> {
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
  await page.goto(`${origin}/`);
  await page.waitForFunction(
    () => document.getElementById("status")?.textContent === "connected",
    null,
    {
      timeout: 10_000,
    },
  );
  return page;
}

async function say(page: Page, name: string, text: string): Promise<void> {
  await page.fill("#name", name);
  await page.fill("#text", text);
  await page.press("#text", "Enter");
}

const texts = (page: Page) =>
  page.$$eval("#messages li .text", (items) => items.map((i) => i.textContent));

test.skipIf(!chromiumPath)(
  "a message typed in one page appears in the other within 2 s, markup shown as text",
  async () => {
    const alice = await openPage();
    const bob = await openPage();
    await say(alice, "alice", "hello bob");
    expect(await alice.inputValue("#text")).toBe(""); // Enter clears the field
    await bob.waitForFunction(
      () =>
        [...document.querySelectorAll("#messages li .text")].some(
          (e) => e.textContent === "hello bob",
        ),
      null,
      { timeout: 2000 },
    );
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
    mkdirSync(ARTIFACTS, { recursive: true });
    await alice.screenshot({ path: join(ARTIFACTS, "chat-two-pages.png"), fullPage: true });
    await alice.close();
    await bob.close();
  },
  30_000,
);

test.skipIf(!chromiumPath)(
  "the page survives a server restart and catches up without gaps or duplicates",
  async () => {
    const page = await openPage();
    const before = (await texts(page)).length;
    await chat.stop();
    await page.waitForFunction(
      () => document.getElementById("status")?.classList.contains("offline"),
      null,
      { timeout: 5000 },
    );
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
