// A streaming UTF-8 validator (Unicode §3.9 Table 3-7): bytes arrive in any pieces and the first bad
// byte is reported at once, so a text message can be refused before its end arrives (RFC 6455 §8.1).

/**
 * Keeps how many continuation bytes are still owed and the range the next one must fall in: the
 * range is narrower than 80–BF right after E0, ED, F0 and F4, which is what excludes overlong
 * forms, surrogates and code points past U+10FFFF.
 */
export class Utf8Validator {
  #need = 0;
  #lo = 0x80;
  #hi = 0xbf;

  /** True when no character is cut off: the bytes so far are a whole, valid UTF-8 text. */
  get isComplete(): boolean {
    return this.#need === 0;
  }

  /** Checks `bytes[start..end)`; returns the index of the first invalid byte, or -1. */
  push(bytes: Uint8Array, start = 0, end = bytes.length): number {
    let need = this.#need;
    let lo = this.#lo;
    let hi = this.#hi;
    for (let i = start; i < end; i++) {
      const b = bytes[i] as number;
      if (need === 0) {
        if (b < 0x80) continue;
        if (b >= 0xc2 && b <= 0xdf) {
          need = 1;
        } else if (b >= 0xe0 && b <= 0xef) {
          need = 2;
          if (b === 0xe0)
            lo = 0xa0; // below A0 would be an overlong 2-byte form
          else if (b === 0xed) hi = 0x9f; // A0 and up encode the surrogates D800–DFFF
        } else if (b >= 0xf0 && b <= 0xf4) {
          need = 3;
          if (b === 0xf0)
            lo = 0x90; // overlong 3-byte form
          else if (b === 0xf4) hi = 0x8f; // past U+10FFFF
        } else {
          this.#fail();
          return i; // 80–C1 (stray continuation, overlong lead), F5–FF (never in UTF-8)
        }
        continue;
      }
      if (b < lo || b > hi) {
        this.#fail();
        return i;
      }
      need--;
      lo = 0x80;
      hi = 0xbf;
    }
    this.#need = need;
    this.#lo = lo;
    this.#hi = hi;
    return -1;
  }

  reset(): void {
    this.#need = 0;
    this.#lo = 0x80;
    this.#hi = 0xbf;
  }

  /** After a failure the validator stays failed until reset (a later piece must not look valid). */
  #fail(): void {
    this.#need = -1;
    this.#lo = 0x100;
    this.#hi = -1;
  }
}

/** True if `bytes` is a whole, valid UTF-8 text. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  const validator = new Utf8Validator();
  return validator.push(bytes) < 0 && validator.isComplete;
}
