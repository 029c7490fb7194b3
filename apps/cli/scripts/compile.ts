// `bun run build`: the CLI as one executable file (`bun build --compile`) holding the Bun runtime,
// every package and the web chat page, so it runs with no Bun and no node_modules installed.
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";

const ENTRY = join(import.meta.dir, "..", "src", "main.ts");
export const DEFAULT_OUTFILE = join(import.meta.dir, "..", "dist", "netkit");

/**
 * What the CLI reads from disk beside its code, embedded as files. A folder lands at
 * `/$bunfs/root/<its name>/`, which is where `new URL("./<name>/", import.meta.url)` points in the
 * bundle, so the package's own reads find it unchanged. compiled.test.ts fetches each one.
 */
const EMBEDDED = [
  // The web chat's index.html, styles.css and app.ts (httpchat's chat/assets.ts).
  join(dirname(Bun.resolveSync("@netkit/httpchat", import.meta.dir)), "chat", "page"),
];

/** Compiles the CLI for this machine's platform into `outfile`; returns its path. */
export async function compileCli(outfile = DEFAULT_OUTFILE): Promise<string> {
  const result = await Bun.build({
    entrypoints: [ENTRY],
    compile: {
      outfile,
      assets: EMBEDDED,
      // A downloaded tool shouldn't pick up a .env or bunfig.toml from the folder it runs in.
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
    minify: true,
    // Embedded in the executable: stack traces name the TypeScript files and lines.
    sourcemap: "linked",
  });
  if (!result.success) {
    throw new Error(`compiling the CLI failed: ${result.logs.map(String).join("; ")}`);
  }
  // The map is inside the executable; the copy Bun also writes beside it would be a second file.
  await rm(`${outfile}.map`, { force: true });
  return outfile;
}

if (import.meta.main) {
  const started = performance.now();
  const outfile = await compileCli(Bun.argv[2]);
  const mib = Bun.file(outfile).size / 2 ** 20;
  console.log(`${outfile} (${mib.toFixed(0)} MiB, ${(performance.now() - started).toFixed(0)} ms)`);
}
