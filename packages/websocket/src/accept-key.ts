// Sec-WebSocket-Accept (RFC 6455 §4.2.2 item 5.4): base64(SHA-1(key + GUID)).
import { encodeBase64 } from "./base64.ts";
import { WEBSOCKET_GUID } from "./constants.ts";
import { sha1 } from "./sha1.ts";

const encoder = new TextEncoder();

/** The Sec-WebSocket-Accept value that answers a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return encodeBase64(sha1(encoder.encode(key + WEBSOCKET_GUID)));
}

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64 (§4.1 item 7). */
export function createKey(): string {
  return encodeBase64(crypto.getRandomValues(new Uint8Array(16)));
}
