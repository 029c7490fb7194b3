// Any Fetch-style app runs on our server: a small Hono app served by `startHttpServer`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Hono } from "hono";
import { type HttpServer, startHttpServer } from "../src/index.ts";

let server: HttpServer;
let base = "";

beforeAll(async () => {
  const app = new Hono();
  app.get("/hello/:name", (c) => c.json({ hello: c.req.param("name"), q: c.req.query("q") }));
  app.post("/echo", async (c) => c.text(await c.req.text(), 201, { "x-echo": "yes" }));
  app.notFound((c) => c.text("nope", 404));
  server = await startHttpServer({ port: 0, fetch: app.fetch });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop());

test("Hono routes, params and query work", async () => {
  const res = await fetch(`${base}/hello/world?q=1`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ hello: "world", q: "1" });
});

test("Hono reads the request body and sets status and headers", async () => {
  const res = await fetch(`${base}/echo`, { method: "POST", body: "ping" });
  expect(res.status).toBe(201);
  expect(res.headers.get("x-echo")).toBe("yes");
  expect(await res.text()).toBe("ping");
});

test("Hono's notFound handler answers unknown paths", async () => {
  const res = await fetch(`${base}/missing`);
  expect(res.status).toBe(404);
  expect(await res.text()).toBe("nope");
});
