// The packages as a user gets them: built JavaScript with declarations, loadable by Node 20 for the
// pure layers, and tarballs npm accepts (workspace:* rewritten to versions by bun pm pack).
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkEntry, clashes, type EntryReport, entries, LIBRARIES } from "../scripts/check-api.ts";
import { checkPureSubpaths, PURE_SUBPATHS, resolveExport } from "../scripts/check-pure.ts";

const root = join(import.meta.dir, "../../..");
/** The one list of published libraries, check-api's, so the script and this test check the same set. */
const libraries: readonly string[] = LIBRARIES;

beforeAll(async () => {
  await Bun.$`node_modules/.bin/turbo run build --env-mode=loose --output-logs=errors-only`
    .cwd(root)
    .quiet();
}, 120_000);

describe("published packages", () => {
  test("every library builds ESM JavaScript and .d.ts into dist/", async () => {
    for (const name of libraries) {
      const dir = join(root, "packages", name);
      const manifest = await Bun.file(join(dir, "package.json")).json();
      expect({ name, private: manifest.private }).toEqual({ name, private: undefined });
      expect(manifest.exports["."].types).toBe("./dist/index.d.ts");
      expect(await Bun.file(join(dir, "dist/index.js")).exists()).toBe(true);
      expect(await Bun.file(join(dir, "dist/index.d.ts")).exists()).toBe(true);
      expect(await Bun.file(join(dir, "LICENSE")).exists()).toBe(true);
    }
  });

  test("Node 20 runs framing's codecs and the DNS codec from the built JavaScript", async () => {
    const script = `
      import { FrameDecoder, encodeFrame16, LineDecoder } from "${root}/packages/framing/dist/index.js";
      import { createQuery, encodeMessage, decodeMessage } from "${root}/packages/dns/dist/index.js";
      const frames = new FrameDecoder({ prefixBytes: 2 }).push(encodeFrame16("hi"));
      const lines = new LineDecoder().push(new TextEncoder().encode("a\\nb\\n"));
      const query = decodeMessage(encodeMessage(createQuery("example.com", 1)));
      console.log(JSON.stringify({ frame: new TextDecoder().decode(frames[0]), lines, name: query.questions[0].name }));
    `;
    const out = await Bun.$`node --input-type=module -e ${script}`.text();
    expect(JSON.parse(out)).toEqual({ frame: "hi", lines: ["a", "b"], name: "example.com." });
  });

  test("Node 20 loads every pure subpath by its name, from dist/ (the exports' import condition)", async () => {
    // Run from apps/cli, whose node_modules links the workspace packages; Node ignores the `bun`
    // condition, so each specifier resolves to the built JavaScript.
    const script = `
      import { FrameDecoder, encodeFrame, encodeLine, LineDecoder, FramingError } from "@netkit/framing/codec";
      import { createQuery, decodeMessage, encodeMessage, RecordType, DnsError } from "@netkit/dns/codec";
      import { formatRecord, parseRecord } from "@netkit/dns/presentation";
      import { DEFAULT_ZONE_TEXT, parseZone, ZoneSyntaxError } from "@netkit/dns/zone";
      import { RequestParser, HttpError } from "@netkit/http/parser";
      const frames = new FrameDecoder().push(encodeFrame("hi"));
      const lines = new LineDecoder().push(encodeLine("a"));
      const query = decodeMessage(encodeMessage(createQuery("example.com", RecordType.AAAA)));
      const record = formatRecord(parseRecord("a.example. 60 IN A 192.0.2.1")).split(/\\s+/);
      const zone = parseZone(DEFAULT_ZONE_TEXT);
      let head = "";
      new RequestParser({ onHead: (h) => { head = h.method + " " + h.target; }, onBody() {}, onEnd() {} })
        .push(new TextEncoder().encode("GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"));
      const errors = [FramingError, DnsError, ZoneSyntaxError, HttpError].map((e) => e.name);
      console.log(JSON.stringify({ frame: new TextDecoder().decode(frames[0]), lines,
        type: query.questions[0].type, record, origin: zone.origin, head, errors }));
    `;
    const out = await Bun.$`node --input-type=module -e ${script}`
      .cwd(join(root, "apps/cli"))
      .text();
    expect(JSON.parse(out)).toEqual({
      frame: "hi",
      lines: ["a"],
      type: 28,
      record: ["a.example.", "60", "IN", "A", "192.0.2.1"],
      origin: "netkit.test.",
      head: "GET /",
      errors: ["FramingError", "DnsError", "ZoneSyntaxError", "HttpError"],
    });
  });

  test("the pure subpaths import nothing from Bun (module graph of dist/ and of src/)", () => {
    const reports = checkPureSubpaths();
    expect(reports.map((r) => r.specifier)).toContain("@netkit/dns/zone");
    for (const r of reports) {
      expect({ subpath: `${r.specifier} (${r.condition})`, problems: r.problems }).toEqual({
        subpath: `${r.specifier} (${r.condition})`,
        problems: [],
      });
      expect(r.files.length).toBeGreaterThan(1);
    }
  });

  test("the browser-safe subpaths bundle for the browser with nothing from Bun or Node", async () => {
    for (const { specifier } of PURE_SUBPATHS.filter((s) => s.browser)) {
      const build = await Bun.build({
        entrypoints: [resolveExport(specifier, "import")],
        target: "browser",
      });
      expect({ specifier, success: build.success, logs: build.logs.map(String) }).toEqual({
        specifier,
        success: true,
        logs: [],
      });
      const code = await build.outputs[0]?.text();
      expect(code).toBeString();
      expect({
        specifier,
        bun: /from\s*["'](bun|bun:[^"']*|node:[^"']*)["']|\bBun\s*\./.exec(code ?? "")?.[0],
      }).toEqual({
        specifier,
        bun: undefined,
      });
    }
  });

  test("Node 20 runs the HTTP request parser from @netkit/http/parser's built JavaScript", async () => {
    const script = `
      import { RequestParser } from "${root}/packages/http/dist/parser.js";
      const seen = [];
      const parser = new RequestParser({
        onHead: (head) => seen.push(head.method + " " + head.target),
        onBody: (data) => seen.push(new TextDecoder().decode(data)),
        onEnd: () => seen.push("end"),
      });
      parser.push(new TextEncoder().encode("POST /chat HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 2\\r\\n\\r\\nhi"));
      console.log(JSON.stringify(seen));
    `;
    const out = await Bun.$`node --input-type=module -e ${script}`.text();
    expect(JSON.parse(out)).toEqual(["POST /chat", "hi", "end"]);
  });

  test("npm accepts every library's tarball (npm publish --dry-run), with no tests inside", async () => {
    const packs = mkdtempSync(join(tmpdir(), "netkit-packs-"));
    try {
      for (const name of libraries) {
        const dir = join(root, "packages", name);
        await Bun.$`bun pm pack --destination ${packs} --quiet`.cwd(dir).quiet();
        const tarball = join(packs, `netkit-${name}-0.1.0.tgz`);
        const listing = await Bun.$`tar tzf ${tarball}`.text();
        expect(listing).not.toMatch(/\/(test|bench)\//);
        const manifest = JSON.parse(await Bun.$`tar xzf ${tarball} -O package/package.json`.text());
        expect(JSON.stringify(manifest.dependencies ?? {})).not.toContain("workspace:");
        const publish = await Bun.$`npm publish --dry-run ${tarball}`.nothrow().quiet();
        expect({ name, code: publish.exitCode }).toEqual({ name, code: 0 });
      }
    } finally {
      rmSync(packs, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("the curated API (style.md: root index like Hono's, a name means one thing)", () => {
  // Read after beforeAll has built dist/ (a describe body runs before any hook).
  let reports: EntryReport[] = [];
  let roots: EntryReport[] = [];
  beforeAll(() => {
    reports = libraries.flatMap((name) => entries(name).map(checkEntry));
    roots = reports.filter((r) => !r.specifier.slice("@netkit/".length).includes("/"));
  });

  test("every export of every entry point (root and subpaths) has a doc comment", () => {
    for (const report of reports) {
      const undocumented = report.names.filter((n) => !n.documented).map((n) => n.name);
      expect({ entry: report.specifier, problems: report.problems, undocumented }).toEqual({
        entry: report.specifier,
        problems: [],
        undocumented: [],
      });
      expect(report.names.length).toBeGreaterThan(0);
    }
  });

  test("no name is exported by two libraries' root indexes with different meanings", () => {
    expect(roots.map((r) => r.specifier).sort()).toEqual(
      libraries.map((n) => `@netkit/${n}`).sort(),
    );
    expect(clashes(roots)).toEqual([]);
  });

  test("servers start the same way: startXServer(options): Promise<XServer>", () => {
    const starters = roots.flatMap((r) =>
      r.names
        .filter((n) => /^(start\w*|serve\w*|open\w*Server|listen)$/.test(n.name))
        .map((n) => n.name),
    );
    // framing's listen/connect are the transport's building blocks.
    const known = new Set(["listen", "startDnsService", "startNameService"]);
    for (const name of starters.filter((n) => !known.has(n))) {
      expect(name).toMatch(/^start[A-Z]\w*Server$/);
      const server = name.slice("start".length);
      expect({ name, hasType: roots.some((r) => r.names.some((n) => n.name === server)) }).toEqual({
        name,
        hasType: true,
      });
    }
  });

  test("the root indexes stay curated (internals move to subpaths or stay in src/)", () => {
    const counts = Object.fromEntries(roots.map((r) => [r.specifier, r.names.length]));
    // Ceilings, not targets: a new export is fine, a root index regrowing into everything is not.
    expect(counts["@netkit/dns"]).toBeLessThanOrEqual(70);
    for (const [entry, count] of Object.entries(counts)) {
      expect({ entry, under: count <= 70 }).toEqual({ entry, under: true });
    }
  });
});
