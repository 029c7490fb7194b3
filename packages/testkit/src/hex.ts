// Byte literals for codec tests, written the way RFCs and packet dumps show them.

/** Bytes from hex text; whitespace and `#` comments (to the end of a line) are ignored. */
export function hex(text: string): Uint8Array<ArrayBuffer> {
  const clean = text.replace(/#.*$/gm, "").replace(/\s+/g, "");
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`not hex bytes: ${clean.slice(0, 40)}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
}
