// `bun apps/cli/scripts/check-pure.ts`: proves that each pure subpath export (@netkit/dns/codec, …)
// imports nothing from Bun. It walks the module graph from the entry the subpath names, both the
// built JavaScript that Node and browsers load (the `import` condition) and the TypeScript that Bun
// loads (the `bun` condition), and reports any `bun` / `bun:*` import and any use of the `Bun` global.
// packages.test.ts runs the same check; this file is also a script for a quick look after a change.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const ROOT = join(import.meta.dir, "../../..");

/** The subpaths that promise to run anywhere, and whether browsers are included (no `node:` either). */
export const PURE_SUBPATHS = [
  { specifier: "@netkit/framing/codec", browser: true },
  { specifier: "@netkit/dns/codec", browser: true },
  { specifier: "@netkit/dns/presentation", browser: true },
  { specifier: "@netkit/dns/zone", browser: true },
  // The HTTP parser works on Node's Buffer (a global in Node and Bun), so it promises Node, not browsers.
  { specifier: "@netkit/http/parser", browser: false },
  // The WebSocket codec and handshake: a browser or Node client can reuse them.
  { specifier: "@netkit/websocket/codec", browser: true },
] as const;

export type Condition = "import" | "bun";

export interface PurityReport {
  specifier: string;
  condition: Condition;
  /** Every file of the graph, relative to the repository root. */
  files: string[];
  /** Imports of modules outside the graph's files (`node:…`, other packages), each once. */
  externals: string[];
  /** What breaks the promise: `file: import "bun"`, `file: uses the Bun global`, a missing file. */
  problems: string[];
}

/** The file that `@netkit/<name>[/<subpath>]` names under `condition`, read from the package's exports. */
export function resolveExport(specifier: string, condition: Condition): string {
  const match = /^@netkit\/([^/]+)(\/.+)?$/.exec(specifier);
  if (!match) throw new Error(`not a @netkit specifier: ${specifier}`);
  const dir = join(ROOT, "packages", match[1] ?? "");
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const entry = manifest.exports?.[`.${match[2] ?? ""}`];
  const target = entry?.[condition];
  if (typeof target !== "string") throw new Error(`${specifier} has no "${condition}" export`);
  return join(dir, target);
}

const transpilers = {
  ts: new Bun.Transpiler({ loader: "ts" }),
  js: new Bun.Transpiler({ loader: "js" }),
};

/** Walks the graph from `specifier`'s entry under `condition`; see PurityReport. */
export function checkPurity(specifier: string, condition: Condition): PurityReport {
  const files: string[] = [];
  const externals = new Set<string>();
  const problems: string[] = [];
  const seen = new Set<string>();
  const queue = [resolveExport(specifier, condition)];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const name = file.slice(ROOT.length + 1);
    if (!existsSync(file)) {
      problems.push(`${name}: missing (run the build first)`);
      continue;
    }
    files.push(name);
    const transpiler = file.endsWith(".ts") ? transpilers.ts : transpilers.js;
    const source = readFileSync(file, "utf8");
    // Type-only imports vanish here, as they do at run time.
    const code = transpiler.transformSync(source);
    if (/\bBun\s*[.[]|globalThis\s*\.\s*Bun\b/.test(code))
      problems.push(`${name}: uses the Bun global`);
    for (const { path } of transpiler.scanImports(source)) {
      if (path === "bun" || path.startsWith("bun:")) problems.push(`${name}: import "${path}"`);
      else if (path.startsWith(".")) queue.push(resolve(dirname(file), path));
      else if (path.startsWith("@netkit/")) queue.push(resolveExport(path, condition));
      else externals.add(path);
    }
  }
  return { specifier, condition, files, externals: [...externals].sort(), problems };
}

/** Every pure subpath under both conditions; a browser-safe one may not import `node:` modules either. */
export function checkPureSubpaths(): PurityReport[] {
  const reports: PurityReport[] = [];
  for (const { specifier, browser } of PURE_SUBPATHS) {
    for (const condition of ["import", "bun"] as const) {
      const report = checkPurity(specifier, condition);
      if (browser) {
        for (const external of report.externals) report.problems.push(`imports "${external}"`);
      }
      reports.push(report);
    }
  }
  return reports;
}

if (import.meta.main) {
  let failed = false;
  for (const r of checkPureSubpaths()) {
    const status = r.problems.length === 0 ? "ok" : "FAIL";
    const externals = r.externals.length > 0 ? `, imports ${r.externals.join(" ")}` : "";
    console.log(`${status} ${r.specifier} (${r.condition}): ${r.files.length} files${externals}`);
    for (const problem of r.problems) console.log(`  ${problem}`);
    failed ||= r.problems.length > 0;
  }
  process.exit(failed ? 1 : 0);
}
