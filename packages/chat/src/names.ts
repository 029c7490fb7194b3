// Nickname rules: what a valid name is and how two names are compared.
import { ChatError } from "./errors.ts";

/** Longest accepted name, in characters (code points). */
export const MAX_NAME_CHARS = 32;

// Whitespace of any script, and control characters (C0, DEL, C1): a name must print as one word.
const WHITESPACE_OR_CONTROL = /[\s\p{Z}\p{Cc}]/u;

/**
 * Returns a ChatError saying why `name` can't be used, or undefined when it is valid.
 * Besides length, spaces and control characters, `:` is refused (it would make `name: text`
 * ambiguous) and so is a leading `/` (it would look like a command).
 */
export function checkName(name: string): ChatError | undefined {
  const chars = [...name].length;
  if (chars === 0) return new ChatError("NAME_INVALID", "the name is empty");
  if (chars > MAX_NAME_CHARS) {
    return new ChatError(
      "NAME_INVALID",
      `the name has ${chars} characters, at most ${MAX_NAME_CHARS} are allowed`,
    );
  }
  if (WHITESPACE_OR_CONTROL.test(name)) {
    return new ChatError("NAME_INVALID", "a name may not contain spaces or control characters");
  }
  if (name.includes(":")) return new ChatError("NAME_INVALID", "a name may not contain ':'");
  if (name.startsWith("/")) return new ChatError("NAME_INVALID", "a name may not start with '/'");
  return undefined;
}

/** The key two names are compared by: case-insensitive, after Unicode NFC normalization. */
export function nameKey(name: string): string {
  return name.normalize("NFC").toLowerCase();
}
