// The real peers the interop tests talk to (curl, nc, socat, chromium…): found, or a loud skip
// locally; under CI a missing tool is a failure, because .ci/run installs them all.

/** The tool's path, or undefined with a loud note (a thrown error under CI). */
export function requireTool(name: string, aptPackage: string): string | undefined {
  const path =
    Bun.which(name) ??
    (name === "chromium" && Bun.file("/usr/bin/chromium").size > 0 ? "/usr/bin/chromium" : null);
  if (path) return path;
  if (process.env.CI) throw new Error(`${name} is missing: CI must install ${aptPackage}`);
  console.warn(`!!! ${name} not found: skipping the tests that use it (apt install ${aptPackage})`);
  return undefined;
}
