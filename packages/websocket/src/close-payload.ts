// Close frame bodies (RFC 6455 §5.5.1, §7.4): an optional 2-byte status code, then a UTF-8 reason.
import { CloseCode, MAX_CONTROL_PAYLOAD } from "./constants.ts";
import { WebSocketError } from "./errors.ts";
import { isValidUtf8 } from "./utf8-validator.ts";

/**
 * Codes a peer may put on the wire (§7.4.1, §7.4.2, IANA registry): 1000–1003 and 1007–1011 are
 * defined; 1004 is reserved, 1005/1006/1015 are for reporting only and must never be sent;
 * 1012–2999 belong to future RFCs (refused, as Autobahn 7.9 expects); 3000–4999 are for libraries
 * and applications.
 */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1011) ||
    (code >= 3000 && code <= 4999)
  );
}

/** A decoded close frame body. */
export interface ClosePayload {
  /** 1005 (NO_STATUS) when the frame carried no code. */
  code: number;
  reason: string;
}

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();

/** Reads a close frame's body; throws WebSocketError (1002 bad code or length, 1007 bad UTF-8). */
export function decodeClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) return { code: CloseCode.NO_STATUS, reason: "" };
  if (payload.length === 1) {
    throw new WebSocketError("BAD_CLOSE_PAYLOAD", "a close frame body of 1 byte has no full code");
  }
  const code = ((payload[0] as number) << 8) | (payload[1] as number);
  if (!isValidCloseCode(code)) {
    throw new WebSocketError("BAD_CLOSE_CODE", `close code ${code} may not be sent`);
  }
  const reasonBytes = payload.subarray(2);
  if (!isValidUtf8(reasonBytes)) {
    throw new WebSocketError(
      "INVALID_UTF8",
      "the close reason is not UTF-8",
      CloseCode.INVALID_PAYLOAD,
    );
  }
  return { code, reason: decoder.decode(reasonBytes) };
}

/**
 * A close frame's body. No code (or 1005) gives an empty body; a reason needs a code and must fit
 * the 125-byte control payload with it (123 bytes of UTF-8).
 */
export function encodeClosePayload(code?: number, reason = ""): Uint8Array {
  if (code === undefined || code === CloseCode.NO_STATUS) {
    if (reason !== "") throw new TypeError("a close reason needs a close code");
    return new Uint8Array(0);
  }
  if (!isValidCloseCode(code)) throw new RangeError(`close code ${code} may not be sent`);
  const reasonBytes = encoder.encode(reason);
  if (reasonBytes.length > MAX_CONTROL_PAYLOAD - 2) {
    throw new RangeError(`close reason of ${reasonBytes.length} bytes: at most 123`);
  }
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}
