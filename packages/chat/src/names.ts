// Nickname rules: what a valid name is and how two names are compared. The character rules and
// the comparison are @netkit/framing's text policy, shared by every netkit service.
import { nameProblem, nameKey as policyNameKey } from "@netkit/framing";
import { ChatError } from "./errors.ts";

/** Longest accepted name, in characters (code points). */
export const MAX_NAME_CHARS = 32;

/**
 * Returns a ChatError saying why `name` can't be used, or undefined when it is valid.
 * Besides length and framing's name policy (no controls, bidi controls, whitespace, invisible,
 * private-use or unassigned characters), `:` is refused (it would make `name: text` ambiguous)
 * and so is a leading `/` (it would look like a command).
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
  const problem = nameProblem(name);
  if (problem) return new ChatError("NAME_INVALID", problem.message);
  if (name.includes(":")) return new ChatError("NAME_INVALID", "a name may not contain ':'");
  if (name.startsWith("/")) return new ChatError("NAME_INVALID", "a name may not start with '/'");
  return undefined;
}

/**
 * The key two names are compared by: framing's `nameKey` (NFKC, then case folded), so `Ann`,
 * `ANN` and fullwidth `Ａｎｎ` are one name in the room.
 */
export function nameKey(name: string): string {
  return policyNameKey(name);
}
