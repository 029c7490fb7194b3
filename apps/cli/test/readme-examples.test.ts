// Every ```ts block of every README is a complete program: each is run as written (servers on
// loopback, started by the example itself) and must exit 0 on its own, so the READMEs stay true.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";

const root = join(import.meta.dir, "../../..");
// Inside apps/cli, whose dependencies are every @netkit package, so the imports resolve as for a user.
const scratch = join(import.meta.dir, "../.readme-examples");

function readmes(): string[] {
  const files = [join(root, "README.md")];
  for (const group of ["packages", "apps"]) {
    for (const name of readdirSync(join(root, group)).sort()) {
      files.push(join(root, group, name, "README.md"));
    }
  }
  return files.filter((file) => Bun.file(file).size > 0);
}

const examples: { name: string; code: string }[] = [];
for (const file of readmes()) {
  const text = await Bun.file(file).text();
  let index = 0;
  for (const match of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
    examples.push({ name: `${relative(root, file)} #${++index}`, code: match[1] as string });
  }
}

mkdirSync(scratch, { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("README examples", () => {
  test("there are examples to run", () => {
    expect(examples.length).toBeGreaterThanOrEqual(12);
  });

  for (const [i, example] of examples.entries()) {
    test(`${example.name} runs and exits 0`, async () => {
      const file = join(scratch, `example-${i}.ts`);
      await Bun.write(file, example.code);
      const child = Bun.spawn(["bun", file], { cwd: scratch, stdout: "pipe", stderr: "pipe" });
      const timer = setTimeout(() => child.kill(), 20_000);
      const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
      clearTimeout(timer);
      expect({ example: example.name, code, stderr: code === 0 ? "" : stderr }).toEqual({
        example: example.name,
        code: 0,
        stderr: "",
      });
    }, 30_000);
  }
});
