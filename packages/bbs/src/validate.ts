// Input rules shared by the server session and the client: usernames, texts, passwords.
// Names and texts follow @netkit/framing's text policy, the one every netkit service applies.

import { nameProblem, textProblem as policyTextProblem } from "@netkit/framing";
import { BBS_DEFAULTS } from "./defaults.ts";

const utf8 = new TextEncoder();
/** Posts and DMs may span lines and hold tabs (the seed's texts did); every other control is refused. */
const TEXT_CONTROLS = "\t\n";

/**
 * Why `name` is not a valid username, or null when it is: framing's name policy (no controls,
 * bidi controls, whitespace or invisible characters, no private-use or unassigned code points),
 * then the length. Registered names are compared by `nameKey` (see accounts.ts).
 */
export function usernameProblem(
  name: string,
  maxChars: number = BBS_DEFAULTS.maxUsernameChars,
  subject = "username",
): string | null {
  const chars = [...name].length;
  if (chars === 0) return `${subject} is empty`;
  if (chars > maxChars) return `${subject} longer than ${maxChars} characters`;
  return nameProblem(name, { subject })?.message ?? null;
}

/** Why `text` may not be stored as a post or DM, or null when it may. */
export function textProblem(
  text: string,
  maxBytes: number = BBS_DEFAULTS.maxTextBytes,
  /** The UTF-8 length when the caller knows it (the frame's size): saves encoding again. */
  knownBytes?: number,
): string | null {
  const bytes = knownBytes ?? utf8.encode(text).length;
  if (bytes > maxBytes) return `text of ${bytes} bytes exceeds ${maxBytes}`;
  return policyTextProblem(text, { allowControls: TEXT_CONTROLS })?.message ?? null;
}

/** Why `password` is refused at registration, or null when it is acceptable. */
export function passwordProblem(
  password: string,
  minChars: number = BBS_DEFAULTS.minPasswordChars,
  maxBytes: number = BBS_DEFAULTS.maxPasswordBytes,
): string | null {
  if ([...password].length < minChars) return `password too weak: at least ${minChars} characters`;
  if (utf8.encode(password).length > maxBytes) return `password longer than ${maxBytes} bytes`;
  if (new Set(password).size < 3) return "password too weak: too few distinct characters";
  return null;
}
