// UTF-8 helpers shared by the codecs (one encoder/decoder each, reused).

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** The UTF-8 bytes of `text`. */
export function encodeText(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

/** Decodes UTF-8; invalid sequences become U+FFFD rather than throwing. */
export function decodeText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
