// Test helpers of the web chat.

/** A tool's path, or undefined with a loud note; under CI a missing tool is a failure. */
export function requireTool(name: string, apt: string): string | undefined {
  const path =
    Bun.which(name) ??
    (name === "chromium" && Bun.file("/usr/bin/chromium").size ? "/usr/bin/chromium" : null);
  if (path) return path;
  if (process.env.CI) throw new Error(`${name} is missing: .ci/run must install ${apt}`);
  console.warn(`!!! ${name} not found: skipping its tests (install ${apt})`);
  return undefined;
}
