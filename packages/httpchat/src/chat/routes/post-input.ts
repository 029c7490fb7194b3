// What a post must look like, for POST /chat and for a post sent over /ws alike: a JSON object
// with a non-empty `text` and an optional `name`, within the length limits and the text policy.

import { postRefusal, type TextRefusal } from "./text-rules.ts";

/** Unicode code points per message text. */
export const MAX_TEXT_CHARS = 2000;
/** Code points per display name. */
export const MAX_NAME_CHARS = 50;

/** A post that may be stored: the name trimmed (or "anonymous") and the text as sent. */
export interface ValidPost {
  name: string;
  text: string;
}

/** Why a post is refused: the 400 body (`code` and `field` when the text policy refused it). */
export type PostRefusal = { error: string } | TextRefusal;

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Checks a parsed JSON post; returns what to store, or the refusal to answer with. */
export function validatePost(input: unknown): ValidPost | PostRefusal {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { error: "body must be a JSON object" };
  }
  const { text, name } = input as { text?: unknown; name?: unknown };
  if (typeof text !== "string" || text.trim() === "") {
    return { error: "text must be a non-empty string" };
  }
  if (codePoints(text) > MAX_TEXT_CHARS) {
    return { error: `text is over ${MAX_TEXT_CHARS} characters` };
  }
  if (name !== undefined && typeof name !== "string") {
    return { error: "name must be a string" };
  }
  // Only spaces and tabs are trimmed: a BOM or NBSP is refused below, not silently dropped.
  const cleanName = name?.replace(/^[ \t]+|[ \t]+$/g, "") || "anonymous";
  if (codePoints(cleanName) > MAX_NAME_CHARS) {
    return { error: `name is over ${MAX_NAME_CHARS} characters` };
  }
  // The shared text policy (NUL included: neither SQLite nor PostgreSQL text keeps it).
  return postRefusal(cleanName, text) ?? { name: cleanName, text };
}

/** Whether validatePost's answer is a refusal. */
export function isRefusal(result: ValidPost | PostRefusal): result is PostRefusal {
  return "error" in result;
}
