// netkit's front door: `bun run apps/cli <command> [options]`, or `netkit <command>` once compiled.
import { basename } from "node:path";
import { UsageError } from "./cli-kit.ts";
import { commands } from "./commands/index.ts";

/** How the user started us: the one-file executable (`bun run build`) by its file name. */
const program = Bun.isStandaloneExecutable ? basename(process.execPath) : "bun run apps/cli";

export function rootUsage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const list = Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join("\n");
  return `Usage: ${program} <command> [options]

Commands:
${list}

Run \`${program} <command> --help\` for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? console.error : console.log)(rootUsage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`error: unknown command "${name}"\n\n${rootUsage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n\n${error.usage}`);
      return 2;
    }
    // A bad certificate or key is the user's to fix: its message says what, no stack needed.
    if ((error as Error).name === "TlsError") {
      console.error(`${name}: ${(error as Error).message}`);
      return 1;
    }
    console.error(`${name}: ${(error as Error).stack ?? error}`);
    return 1;
  }
}

if (import.meta.main) process.exit(await main(Bun.argv.slice(2)));
