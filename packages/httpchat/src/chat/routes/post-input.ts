// What a post must look like, for POST /chat and for a post sent over /ws alike: a JSON object
// with a non-empty `text`, an optional `name` and an optional `key` (the client's idempotency key:
// a post resent after its answer was lost is stored once), within the limits and the text policy.

import { postRefusal, type TextRefusal } from "./text-rules.ts";

/** Unicode code points per message text. */
export const MAX_TEXT_CHARS = 2000;
/** Code points per display name. */
export const MAX_NAME_CHARS = 50;
/** An idempotency key: 1–64 characters of a UUID's or a token's alphabet. */
const KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** A post that may be stored: the name trimmed (or "anonymous") and the text as sent. */
export interface ValidPost {
  name: string;
  text: string;
  /** The client's idempotency key, when it sent one. */
  key?: string;
}

/** Why a post is refused: the 400 body (`code` and `field` when the text policy refused it). */
export type PostRefusal = { error: string } | TextRefusal;

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * The idempotency key of an `Idempotency-Key` header (IETF httpapi draft: a quoted string; the
 * bare token is taken too), or a refusal. Undefined when there is no header.
 */
export function headerKey(value: string | null): string | { error: string } | undefined {
  if (value === null) return undefined;
  const key = value.trim().replace(/^"(.*)"$/, "$1");
  return KEY_PATTERN.test(key)
    ? key
    : { error: "Idempotency-Key must be 1-64 characters: letters, digits, _ . : -" };
}

/**
 * Checks a parsed JSON post; returns what to store, or the refusal to answer with. `headerKey`
 * is the key of POST's Idempotency-Key header; a `key` field must agree with it.
 */
export function validatePost(input: unknown, headerKey?: string): ValidPost | PostRefusal {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { error: "body must be a JSON object" };
  }
  const { text, name, key } = input as { text?: unknown; name?: unknown; key?: unknown };
  if (key !== undefined && (typeof key !== "string" || !KEY_PATTERN.test(key))) {
    return { error: "key must be 1-64 characters: letters, digits, _ . : -" };
  }
  if (key !== undefined && headerKey !== undefined && key !== headerKey) {
    return { error: "key and Idempotency-Key differ" };
  }
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
  const refusal = postRefusal(cleanName, text);
  if (refusal) return refusal;
  const postKey = (key as string | undefined) ?? headerKey;
  return postKey === undefined
    ? { name: cleanName, text }
    : { name: cleanName, text, key: postKey };
}

/** Whether validatePost's answer is a refusal. */
export function isRefusal(result: ValidPost | PostRefusal): result is PostRefusal {
  return "error" in result;
}
