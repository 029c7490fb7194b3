// Input rules shared by the server session and the client: usernames, texts, passwords.

import { BBS_DEFAULTS } from "./defaults.ts";

const utf8 = new TextEncoder();
/** Control characters (C0, DEL, C1) and every kind of whitespace, incl. no-break spaces. */
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Z}\s]/u;
const TAB = 0x09;
const LF = 0x0a;

/** In texts, control characters other than tab and newline are refused (CR too: LF ends lines). */
function hasForbiddenControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== TAB && c !== LF) || c === 0x7f) return true;
  }
  return false;
}

/** Why `name` is not a valid username, or null when it is. */
export function usernameProblem(
  name: string,
  maxChars: number = BBS_DEFAULTS.maxUsernameChars,
): string | null {
  const chars = [...name].length;
  if (chars === 0) return "username is empty";
  if (chars > maxChars) return `username longer than ${maxChars} characters`;
  if (FORBIDDEN_IN_NAME.test(name)) return "username contains a space or control character";
  return null;
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
  if (hasForbiddenControl(text)) return "text contains a control character";
  return null;
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
