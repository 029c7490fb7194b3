// The packages as a stranger installs them from a registry: a local verdaccio (from npm, an
// apps/cli devDependency) on a loopback port receives `npm publish` of every library's `bun pm pack`
// tarball; a fresh Bun project outside the workspace `bun add`s them all, and a fresh Node project
// `npm install`s the pure subpaths. Both typecheck under strict consumer settings (with the
// published .d.ts checked too: skipLibCheck off) and run. Nothing here reaches the internet: the
// registry has no uplink, and the type packages come from the workspace's node_modules.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort } from "@netkit/testkit";

const root = join(import.meta.dir, "../../..");
const libraries = ["framing", "store", "dns", "chat", "bbs", "http", "httpchat", "websocket"];
const tsc = join(root, "node_modules/.bin/tsc");

/** What a careful consumer turns on; skipLibCheck off so our published .d.ts are checked as well. */
const STRICT_CONSUMER = {
  target: "ES2022",
  lib: ["ES2023"],
  module: "NodeNext",
  moduleResolution: "NodeNext",
  strict: true,
  exactOptionalPropertyTypes: true,
  noPropertyAccessFromIndexSignature: true,
  noUncheckedIndexedAccess: true,
  skipLibCheck: false,
};

let work = "";
let registry = "";
let verdaccio: Bun.Subprocess | undefined;
/** Keeps npm and bun away from the user's config and caches (and a stale @netkit/*@0.1.0 in them). */
let env: Record<string, string | undefined> = {};

/** Runs a command; on failure the error carries its output, so a CI log shows what broke. */
async function run(cmd: string[], cwd: string): Promise<string> {
  const p = Bun.spawn(cmd, { cwd, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} (in ${cwd}) exited ${code}\n${out}\n${err}`);
  return out;
}

/** The workspace's type packages, found through @types/bun (a root devDependency), not by version. */
const typesBun = dirname(Bun.resolveSync("@types/bun/package.json", root));
const bunTypes = dirname(Bun.resolveSync("bun-types/package.json", typesBun));
const typesNode = dirname(Bun.resolveSync("@types/node/package.json", bunTypes));

/** Links a type package into a consumer (its own dependencies resolve beside its real path). */
function linkTypes(project: string, name: string, dir: string): void {
  mkdirSync(join(project, "node_modules/@types"), { recursive: true });
  symlinkSync(realpathSync(dir), join(project, "node_modules/@types", name));
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function startRegistry(): Promise<void> {
  const port = await freePort();
  registry = `http://127.0.0.1:${port}/`;
  writeFileSync(
    join(work, "verdaccio.yaml"),
    [
      `storage: ${join(work, "storage")}`,
      `auth: { htpasswd: { file: ${join(work, "htpasswd")} } }`,
      "uplinks: {}", // our packages only; a name it doesn't hold is a 404, never a download
      'packages: { "**": { access: $all, publish: $authenticated } }',
      "web: { enable: false }",
      "log: { type: stdout, format: pretty, level: warn }",
      "",
    ].join("\n"),
  );
  // verdaccio 6.10 refuses Node 20 (it wants 22); it runs under Bun, which reports a newer Node.
  const bin = join(import.meta.dir, "../node_modules/verdaccio/bin/verdaccio");
  verdaccio = Bun.spawn(
    ["bun", bin, "--config", join(work, "verdaccio.yaml"), "--listen", `127.0.0.1:${port}`],
    {
      cwd: work,
      env,
      stdout: Bun.file(join(work, "verdaccio.log")),
      stderr: Bun.file(join(work, "verdaccio.err")), // "doesn't need superuser privileges" as root
    },
  );
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`${registry}-/ping`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    const failure =
      verdaccio.exitCode !== null
        ? `verdaccio exited ${verdaccio.exitCode}`
        : Date.now() > deadline
          ? "verdaccio did not answer /-/ping within 20 s"
          : null;
    if (failure) {
      const logs = await Promise.all(
        ["log", "err"].map((e) => Bun.file(join(work, `verdaccio.${e}`)).text()),
      );
      throw new Error(`${failure}\n${logs.join("\n")}`);
    }
    await Bun.sleep(100);
  }
  // A user for npm publish, made without a prompt (the CouchDB user API npm adduser calls).
  const user = await fetch(`${registry}-/user/org.couchdb.user:netkit-ci`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "netkit-ci", password: "netkit-ci-password", type: "user" }),
  });
  const { token } = (await user.json()) as { token?: string };
  if (!user.ok || !token) throw new Error(`verdaccio refused the user: ${user.status}`);
  const host = registry.slice("http:".length);
  writeFileSync(join(work, "npmrc"), `registry=${registry}\n${host}:_authToken=${token}\n`);
}

beforeAll(async () => {
  work = realpathSync(mkdtempSync(join(tmpdir(), "netkit-consumer-")));
  env = {
    ...process.env,
    NPM_CONFIG_USERCONFIG: join(work, "npmrc"),
    NPM_CONFIG_CACHE: join(work, "npm-cache"),
    NPM_CONFIG_AUDIT: "false",
    NPM_CONFIG_FUND: "false",
    NPM_CONFIG_UPDATE_NOTIFIER: "false",
    BUN_INSTALL_CACHE_DIR: join(work, "bun-cache"),
  };
  // A fresh clone has no dist/ yet; the libraries alone (not the CLI's executable).
  await Bun.$`node_modules/.bin/turbo run build --env-mode=loose --output-logs=errors-only --filter=${"./packages/*"}`
    .cwd(root)
    .quiet();
  await startRegistry();
  const packs = join(work, "packs");
  await Promise.all(
    libraries.map((name) =>
      run(["bun", "pm", "pack", "--destination", packs, "--quiet"], join(root, "packages", name)),
    ),
  );
  // The path is absolute: npm reads `packs/x.tgz` as a GitHub shorthand.
  await Promise.all(
    libraries.map((name) =>
      run(
        ["npm", "publish", join(packs, `netkit-${name}-0.1.0.tgz`), "--registry", registry],
        work,
      ),
    ),
  );
}, 120_000);

afterAll(async () => {
  if (verdaccio) {
    verdaccio.kill();
    const exited = await Promise.race([verdaccio.exited, Bun.sleep(5_000).then(() => null)]);
    if (exited === null) verdaccio.kill("SIGKILL");
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("a consumer of the published packages", () => {
  test("the registry holds every library with workspace:* rewritten to versions", async () => {
    for (const name of libraries) {
      const doc = (await (await fetch(`${registry}@netkit%2f${name}`)).json()) as {
        versions?: Record<string, { dependencies?: Record<string, string> }>;
      };
      const version = doc.versions?.["0.1.0"];
      expect({ name, published: version !== undefined }).toEqual({ name, published: true });
      expect(JSON.stringify(version?.dependencies ?? {})).not.toContain("workspace:");
    }
  });

  test("a Bun project `bun add`s every library, typechecks strictly, serves HTTP and DNS", async () => {
    const app = join(work, "bun-app");
    mkdirSync(app);
    writeJson(join(app, "package.json"), { name: "bun-app", private: true, type: "module" });
    writeFileSync(join(app, "bunfig.toml"), `[install]\nregistry = "${registry}"\n`);
    await run(["bun", "add", ...libraries.map((name) => `@netkit/${name}`)], app);
    linkTypes(app, "bun", typesBun);
    writeJson(join(app, "tsconfig.json"), {
      compilerOptions: { ...STRICT_CONSUMER, noEmit: true, types: ["bun"] },
      include: ["main.ts"],
    });
    writeFileSync(
      join(app, "main.ts"),
      `import { BBS_DEFAULTS } from "@netkit/bbs";
import { CHAT_DEFAULTS, type ChatServerOptions } from "@netkit/chat";
import { RecordType, resolve, startDnsService } from "@netkit/dns";
import { encodeFrame, FrameDecoder, type Log } from "@netkit/framing";
import { type FetchHandler, startHttpServer } from "@netkit/http";
import { HTTPCHAT_DEFAULTS } from "@netkit/httpchat";

const events: string[] = [];
const log: Log = (event) => events.push(event.event);
const hello: FetchHandler = (request) => new Response(\`hello \${new URL(request.url).pathname}\`);
const http = await startHttpServer({ port: 0, fetch: hello });
const dns = await startDnsService({ port: 0, namesPort: 0, log });
const chat: ChatServerOptions = { port: 0, maxLineBytes: CHAT_DEFAULTS.maxLineBytes };
try {
  const page = await (await fetch(\`http://127.0.0.1:\${http.port}/consumer\`)).text();
  const servers = [\`127.0.0.1:\${dns.dns.port}\`];
  const answer = await resolve("bbs.netkit.test", RecordType.A, { servers, timeoutMs: 2000 });
  const frame = new FrameDecoder().push(encodeFrame("hi"))[0];
  console.log(JSON.stringify({
    page,
    status: answer.status,
    address: answer.records[0]?.data.address,
    frame: frame === undefined ? null : new TextDecoder().decode(frame),
    defaults: [BBS_DEFAULTS.port, chat.port, HTTPCHAT_DEFAULTS.port].map((p) => typeof p),
  }));
} finally {
  await http.stop();
  await dns.stop();
}
`,
    );
    await run([tsc, "-p", "."], app);
    const out = JSON.parse(await run(["bun", "main.ts"], app));
    expect(out).toEqual({
      page: "hello /consumer",
      status: "NOERROR",
      address: "127.0.0.1",
      frame: "hi",
      defaults: ["number", "number", "number"],
    });
  }, 60_000);

  test("a Node 20 project `npm install`s the pure subpaths, typechecks strictly (Node and browser), runs", async () => {
    const app = join(work, "node-app");
    mkdirSync(app);
    writeJson(join(app, "package.json"), { name: "node-app", private: true, type: "module" });
    await run(["npm", "install", "@netkit/dns", "@netkit/framing", "@netkit/http"], app);
    linkTypes(app, "node", typesNode);
    writeJson(join(app, "tsconfig.json"), {
      compilerOptions: { ...STRICT_CONSUMER, outDir: "out", types: ["node"] },
      include: ["main.ts"],
    });
    writeFileSync(
      join(app, "main.ts"),
      `import { createQuery, decodeMessage, encodeMessage, type Message, RecordType } from "@netkit/dns/codec";
import { formatRecord, parseRecord } from "@netkit/dns/presentation";
import { DEFAULT_ZONE_TEXT, parseZone } from "@netkit/dns/zone";
import { encodeFrame16, FrameDecoder, LineDecoder } from "@netkit/framing/codec";
import { type RequestHead, RequestParser } from "@netkit/http/parser";

const query: Message = decodeMessage(encodeMessage(createQuery("example.com", RecordType.AAAA)));
const zone = parseZone(DEFAULT_ZONE_TEXT);
const record = formatRecord(parseRecord("a.example. 60 IN A 192.0.2.1"));
const frames = new FrameDecoder({ prefixBytes: 2 }).push(encodeFrame16("hi"));
const lines = new LineDecoder().push(new TextEncoder().encode("a\\nb\\n"));
const heads: RequestHead[] = [];
new RequestParser({ onHead: (head) => heads.push(head), onBody() {}, onEnd() {} }).push(
  new TextEncoder().encode("GET /x HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n"),
);
console.log(JSON.stringify({
  node: process.versions.node.split(".")[0],
  name: query.questions[0]?.name,
  type: query.questions[0]?.type,
  origin: zone.origin,
  record: record.split(/\\s+/),
  frame: new TextDecoder().decode(frames[0]),
  lines,
  target: heads[0]?.target,
}));
`,
    );
    // A browser DNS-over-HTTPS page: DOM types, no Node or Bun types, the codec's bytes as a fetch body.
    writeJson(join(app, "tsconfig.browser.json"), {
      extends: "./tsconfig.json",
      compilerOptions: { lib: ["ES2023", "DOM"], types: [], noEmit: true },
      include: ["doh.ts"],
    });
    writeFileSync(
      join(app, "doh.ts"),
      `import { createQuery, decodeMessage, encodeMessage, RecordType } from "@netkit/dns/codec";
import { formatRecord } from "@netkit/dns/presentation";
import { parseZone, type Zone } from "@netkit/dns/zone";
import { encodeFrame, FrameDecoder } from "@netkit/framing/codec";

export async function lookup(url: string, name: string): Promise<string[]> {
  const body = encodeMessage(createQuery(name, RecordType.A));
  const headers = { "content-type": "application/dns-message" };
  const reply = await fetch(url, { method: "POST", body, headers });
  return decodeMessage(new Uint8Array(await reply.arrayBuffer())).answers.map(formatRecord);
}
export const zone = (text: string): Zone => parseZone(text);
export function send(socket: WebSocket, text: string): void {
  socket.send(encodeFrame(text));
}
export const frames = (bytes: Uint8Array): Uint8Array[] => new FrameDecoder().push(bytes);
`,
    );
    await run([tsc, "-p", "tsconfig.browser.json"], app);
    await run([tsc, "-p", "."], app);
    const out = JSON.parse(await run(["node", join(app, "out/main.js")], app));
    expect(out).toEqual({
      node: "20",
      name: "example.com.",
      type: 28,
      origin: "netkit.test.",
      record: ["a.example.", "60", "IN", "A", "192.0.2.1"],
      frame: "hi",
      lines: ["a", "b"],
      target: "/x",
    });
  }, 60_000);
});
