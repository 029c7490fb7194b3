// The packages as a user gets them: built JavaScript with declarations, loadable by Node 20 for the
// pure layers, and tarballs npm accepts (workspace:* rewritten to versions by bun pm pack).
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "../../..");
const libraries = ["framing", "dns", "chat", "bbs", "http", "httpchat"];

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
