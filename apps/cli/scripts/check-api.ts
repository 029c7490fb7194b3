// `bun apps/cli/scripts/check-api.ts`: the public API as a user sees it, read from the built .d.ts
// (run `bun run build` first). For each library's root index (and its subpaths) it lists every
// exported name, where it is declared and whether that declaration carries a /** doc comment */, and
// across libraries it reports a name exported by two packages that is not the same declaration
// (style.md: "a name means one thing across all packages"). packages.test.ts runs the same check.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const ROOT = join(import.meta.dir, "../../..");

/** The published libraries (testkit is test-only). */
export const LIBRARIES = [
  "framing",
  "store",
  "dns",
  "chat",
  "bbs",
  "http",
  "httpchat",
  "websocket",
] as const;

export interface ExportedName {
  /** The name a user imports. */
  name: string;
  /** Where the name is declared: file relative to the repository root, and the declared name. */
  origin: string;
  /** Whether the declaration has a /** … *\/ comment right above it. */
  documented: boolean;
}

export interface EntryReport {
  /** `@netkit/dns`, `@netkit/dns/codec`, … */
  specifier: string;
  names: ExportedName[];
  /** `export *` lines, names that could not be resolved to a declaration. */
  problems: string[];
}

const DECLARATION =
  /^export (?:declare )?(?:abstract )?(?:async )?(?:function\*?|class|const|let|var|type|interface|enum|namespace) ([A-Za-z_$][\w$]*)/gm;
const RE_EXPORT = /^export (type )?\{([^}]*)\}(?: from "([^"]+)")?;?/gm;

/** The .d.ts a module specifier in `fromFile` names (relative files, or another @netkit package). */
function resolveDts(fromFile: string, specifier: string): string {
  const pkg = /^@netkit\/([^/]+)(\/.+)?$/.exec(specifier);
  if (pkg) return entryDts(`@netkit/${pkg[1]}${pkg[2] ?? ""}`);
  return join(dirname(fromFile), specifier.replace(/\.(ts|js)$/, ".d.ts"));
}

/** The .d.ts that a package's export (`@netkit/dns`, `@netkit/dns/codec`) names as its `types`. */
export function entryDts(specifier: string): string {
  const match = /^@netkit\/([^/]+)(\/.+)?$/.exec(specifier);
  if (!match) throw new Error(`not a @netkit specifier: ${specifier}`);
  const dir = join(ROOT, "packages", match[1] ?? "");
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const types = manifest.exports?.[`.${match[2] ?? ""}`]?.types;
  if (typeof types !== "string") throw new Error(`${specifier} has no "types" export`);
  return join(dir, types);
}

/** Every subpath a library exports, root first. */
export function entries(library: string): string[] {
  const manifest = JSON.parse(
    readFileSync(join(ROOT, "packages", library, "package.json"), "utf8"),
  );
  return Object.keys(manifest.exports ?? {}).map((key) =>
    key === "." ? `@netkit/${library}` : `@netkit/${library}${key.slice(1)}`,
  );
}

/** `name` or `name as alias`, with an optional leading `type`. */
function specifiers(list: string): { local: string; exported: string }[] {
  return list
    .split(",")
    .map((s) => s.trim().replace(/^type\s+/, ""))
    .filter((s) => s.length > 0)
    .map((s) => {
      const [local, exported] = s.split(/\s+as\s+/);
      return { local: local as string, exported: exported ?? (local as string) };
    });
}

/** Whether the text just before `index` ends with a JSDoc block. */
function hasDocAbove(text: string, index: number): boolean {
  const before = text.slice(0, index).trimEnd();
  if (!before.endsWith("*/")) return false;
  const start = before.lastIndexOf("/*");
  return start >= 0 && before.startsWith("/**", start);
}

/** Finds where `name` exported by `file` is declared, following re-exports. */
function resolveName(
  file: string,
  name: string,
  depth = 0,
): { origin: string; documented: boolean } | undefined {
  if (depth > 10 || !existsSync(file)) return undefined;
  const text = readFileSync(file, "utf8");
  let documented = false;
  let found = false;
  for (const m of text.matchAll(DECLARATION)) {
    if (m[1] !== name) continue;
    found = true;
    // A value and a type of one name (`const Rcode` + `type Rcode`): one doc comment is enough.
    documented ||= hasDocAbove(text, m.index ?? 0);
  }
  if (found) return { origin: `${relative(ROOT, file)}#${name}`, documented };
  for (const m of text.matchAll(RE_EXPORT)) {
    for (const s of specifiers(m[2] ?? "")) {
      if (s.exported !== name) continue;
      if (m[3]) return resolveName(resolveDts(file, m[3]), s.local, depth + 1);
      // `declare const x; export { x }`: look for the local declaration.
      const local = new RegExp(
        `^(?:export )?(?:declare )?(?:abstract )?(?:function|class|const|let|var|type|interface|enum) ${s.local}\\b`,
        "m",
      ).exec(text);
      if (local)
        return {
          origin: `${relative(ROOT, file)}#${s.local}`,
          documented: hasDocAbove(text, local.index),
        };
    }
  }
  return undefined;
}

/** Lists what `specifier` exports, read from its built .d.ts. */
export function checkEntry(specifier: string): EntryReport {
  const file = entryDts(specifier);
  const problems: string[] = [];
  const names: ExportedName[] = [];
  if (!existsSync(file)) return { specifier, names, problems: [`${file} is missing: build first`] };
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(/^export \* (?:as \w+ )?from "([^"]+)"/gm)) {
    problems.push(`export * from "${m[1]}"`);
  }
  const exported: string[] = [];
  for (const m of text.matchAll(RE_EXPORT)) {
    exported.push(...specifiers(m[2] ?? "").map((s) => s.exported));
  }
  for (const m of text.matchAll(DECLARATION)) exported.push(m[1] as string);
  for (const name of [...new Set(exported)].sort()) {
    const found = resolveName(file, name);
    if (!found) problems.push(`${name}: declaration not found`);
    else names.push({ name, ...found });
  }
  return { specifier, names, problems };
}

/** Names that two libraries' root indexes export with different declarations. */
export function clashes(reports: EntryReport[]): string[] {
  const byName = new Map<string, Map<string, string[]>>();
  for (const report of reports) {
    for (const { name, origin } of report.names) {
      const origins = byName.get(name) ?? new Map<string, string[]>();
      origins.set(origin, [...(origins.get(origin) ?? []), report.specifier]);
      byName.set(name, origins);
    }
  }
  const out: string[] = [];
  for (const [name, origins] of byName) {
    if (origins.size < 2) continue;
    const where = [...origins].map(([origin, specs]) => `${specs.join("+")} (${origin})`);
    out.push(`${name}: ${where.join(" vs ")}`);
  }
  return out.sort();
}

if (import.meta.main) {
  const roots: EntryReport[] = [];
  for (const library of LIBRARIES) {
    for (const specifier of entries(library)) {
      const report = checkEntry(specifier);
      if (specifier === `@netkit/${library}`) roots.push(report);
      const undocumented = report.names.filter((n) => !n.documented).map((n) => n.name);
      console.log(
        `${specifier}: ${report.names.length} names, ${undocumented.length} without a doc comment`,
      );
      if (undocumented.length > 0) console.log(`  undocumented: ${undocumented.join(", ")}`);
      for (const problem of report.problems) console.log(`  problem: ${problem}`);
    }
  }
  for (const clash of clashes(roots)) console.log(`clash: ${clash}`);
}
