// Masking (RFC 6455 §5.3): payload byte i is XORed with mask[i % 4]; the same operation unmasks.

/**
 * XORs `source` with the mask into `target` (which may be `source` itself); `phase` is how many
 * payload bytes came before, so a payload unmasked piece by piece lines up with the key.
 */
export function applyMask(
  source: Uint8Array,
  mask: Uint8Array,
  target: Uint8Array = source,
  phase = 0,
): void {
  const length = source.length;
  const m0 = mask[phase & 3] as number;
  const m1 = mask[(phase + 1) & 3] as number;
  const m2 = mask[(phase + 2) & 3] as number;
  const m3 = mask[(phase + 3) & 3] as number;
  let i = 0;
  // Four bytes per step: a per-byte `i & 3` lookup costs about twice as much on large payloads.
  for (const end = length - 3; i < end; i += 4) {
    target[i] = (source[i] as number) ^ m0;
    target[i + 1] = (source[i + 1] as number) ^ m1;
    target[i + 2] = (source[i + 2] as number) ^ m2;
    target[i + 3] = (source[i + 3] as number) ^ m3;
  }
  const rest = [m0, m1, m2];
  for (let k = 0; i < length; i++, k++) target[i] = (source[i] as number) ^ (rest[k] as number);
}
