// The web chat's side of @netkit/framing's text policy: what POST /chat refuses with 400.

import { decodeUtf8, nameProblem, type TextProblem, textProblem } from "@netkit/framing";

/** The 400 body for a refused post: the policy's message, its code and where it is. */
export interface TextRefusal {
  error: string;
  code: TextProblem["code"];
  /** Which field: "body" (bytes, for INVALID_UTF8), "name" or "text". */
  field: "body" | "name" | "text";
  /** Code point index in the field, or byte offset in the body for INVALID_UTF8. */
  index: number;
}

function refusal(field: TextRefusal["field"], problem: TextProblem): TextRefusal {
  return { error: problem.message, code: problem.code, field, index: problem.index };
}

/**
 * The request body as text, or the refusal when it is not valid UTF-8 (Request.text() would
 * turn bad bytes into U+FFFD and store them; every netkit service refuses them instead).
 */
export async function readUtf8Body(request: Request): Promise<string | TextRefusal> {
  const text = decodeUtf8(new Uint8Array(await request.arrayBuffer()), "body");
  return typeof text === "string" ? text : refusal("body", text);
}

/**
 * Why a post's name or text is refused, or undefined. Texts may hold TAB and LF (a JSON client
 * may post several lines); CR, every other control and bidi controls are refused. Names are
 * display names, not a registry (two posters may use one name), so they allow U+0020 but no
 * other whitespace and nothing invisible.
 */
export function postRefusal(name: string, text: string): TextRefusal | undefined {
  const bad = nameProblem(name, { allowSpace: true });
  if (bad) return refusal("name", bad);
  const badText = textProblem(text, { allowControls: "\t\n" });
  return badText ? refusal("text", badText) : undefined;
}
