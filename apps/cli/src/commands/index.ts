// The dispatch table: command name -> module. Each command lives in its own file.
import type { Command } from "../cli-kit.ts";
import { bbs } from "./bbs.ts";
import { chat } from "./chat.ts";
import { dns } from "./dns.ts";
import { echo } from "./echo.ts";
import { httpchat } from "./httpchat.ts";
import { lookup } from "./lookup.ts";
import { up } from "./up.ts";

export const commands: Record<string, Command> = {
  bbs,
  chat,
  dns,
  echo,
  httpchat,
  lookup,
  up,
};
