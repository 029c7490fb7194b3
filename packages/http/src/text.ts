// Byte/text helpers shared by the request parser and the chunked decoder (RFC 9110 §5.6 grammar).

const latin1Slice = (
  Buffer.prototype as unknown as {
    latin1Slice(this: Uint8Array, start: number, end: number): string;
  }
).latin1Slice;

/**
 * Bytes [start, end) as a string, one char per byte (HTTP heads are octets, not UTF-8). Buffer's
 * latin1Slice works on any Uint8Array: the socket's chunks need no Buffer view (reading
 * `.buffer` of a fresh Uint8Array makes JSC allocate its ArrayBuffer, about 0.1 µs a chunk).
 */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  return latin1Slice.call(bytes, start, end);
}

/** token = 1*tchar (RFC 9110 §5.6.2). */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). The value may hold HTAB, SP,
 * visible ASCII and obs-text, never CR, LF, NUL or other controls: a CR here is a bare CR.
 */
export const FIELD_LINE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the class lists the bytes HTTP forbids
  /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*([^\x00-\x08\x0a-\x1f\x7f]*?)[\t ]*$/;
