// The web chat's own rules against hostile users: cross-site posts, security headers, the post rate.
import { afterEach, describe, expect, test } from "bun:test";
import { startWebChatServer, type WebChatServer, type WebChatServerOptions } from "../src/index.ts";

let chat: WebChatServer | undefined;
afterEach(async () => {
  await chat?.stop();
  chat = undefined;
});

async function start(options: WebChatServerOptions = {}): Promise<string> {
  chat = await startWebChatServer({ port: 0, dbPath: ":memory:", ...options });
  return `http://127.0.0.1:${chat.port}`;
}

const post = (base: string, headers: Record<string, string>, body = '{"text":"hi"}') =>
  fetch(`${base}/chat`, { method: "POST", headers, body });

describe("cross-site posts (CSRF)", () => {
  test("a browser's cross-site or same-site post is refused with 403, whatever its content type", async () => {
    const base = await start();
    for (const site of ["cross-site", "same-site"]) {
      for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
        const res = await post(base, { "sec-fetch-site": site, "content-type": type });
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ code: "CROSS_ORIGIN" });
      }
    }
    // an older browser without Sec-Fetch-Site, posting from a foreign page
    const foreign = await post(base, { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(await chat?.store.latestId()).toBe(0); // nothing stored
  });

  test("the page's own posts, typed-in navigations and clients without those headers (curl) pass", async () => {
    const base = await start();
    const host = new URL(base).host;
    expect((await post(base, { "sec-fetch-site": "same-origin", origin: base })).status).toBe(201);
    expect((await post(base, { "sec-fetch-site": "none" })).status).toBe(201);
    expect((await post(base, { origin: `http://${host}` })).status).toBe(201);
    expect((await post(base, {})).status).toBe(201);
    // the seed's own command, as written
    const seed =
      await Bun.$`curl -s -o /dev/null -w %{http_code} -d ${'{"text":"Hello World!"}'} ${base}/chat`.text();
    expect(seed).toBe("201");
  });

  test("reads stay allowed cross-site (a GET changes nothing)", async () => {
    const base = await start();
    const res = await fetch(`${base}/messages`, { headers: { "sec-fetch-site": "cross-site" } });
    expect(res.status).toBe(200);
  });
});

describe("security headers", () => {
  test("every response carries the CSP, nosniff and no-referrer: page, API, errors, 304", async () => {
    const base = await start();
    const page = await fetch(`${base}/`);
    const etag = page.headers.get("etag") as string;
    const responses = [
      page,
      await fetch(`${base}/app.js`),
      await fetch(`${base}/messages`),
      await post(base, {}),
      await post(base, {}, "not json"),
      await fetch(`${base}/nowhere`),
      await fetch(`${base}/`, { headers: { "if-none-match": etag } }),
      await post(base, { "sec-fetch-site": "cross-site" }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 201, 400, 404, 304, 403]);
    for (const res of responses) {
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    }
  });
});

describe("post rate per address", () => {
  test("past the burst, posts get 429 with Retry-After; another address is not affected; tokens come back", async () => {
    const base = await start({ postBurst: 5, postsPerSecond: 2 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await post(base, {}, JSON.stringify({ text: `m${i}` }));
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get("retry-after");
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(await chat?.store.latestId()).toBe(5);
    // another address (127.0.0.2) has its own bucket
    const other =
      await Bun.$`curl -s -o /dev/null -w %{http_code} --interface 127.0.0.2 -d ${'{"text":"other"}'} ${base}/chat`.text();
    expect(other).toBe("201");
    await Bun.sleep(600); // 2 per second: one token back
    expect((await post(base, {})).status).toBe(201);
  });
});
