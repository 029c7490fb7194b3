// Encodes many frames into few buffers: the fast path for long listings.

import { FRAME_PREFIX_BYTES } from "@netkit/framing";

const utf8 = new TextEncoder();

/**
 * Length-prefixed frames for `rows`, packed into buffers of about `targetBytes` each (a single
 * larger row gets a buffer of its own). Each yielded buffer is fresh: safe to queue.
 */
export function* encodeFrameChunks(
  rows: Iterable<string>,
  targetBytes = 64 * 1024,
): Generator<Uint8Array> {
  let buf = new Uint8Array(targetBytes);
  let view = new DataView(buf.buffer);
  let offset = 0;
  for (const row of rows) {
    const worst = FRAME_PREFIX_BYTES + row.length * 3; // UTF-16 unit -> at most 3 UTF-8 bytes
    if (offset + worst > buf.length) {
      if (offset > 0) yield buf.subarray(0, offset);
      buf = new Uint8Array(Math.max(targetBytes, worst));
      view = new DataView(buf.buffer);
      offset = 0;
    }
    const { written } = utf8.encodeInto(row, buf.subarray(offset + FRAME_PREFIX_BYTES));
    view.setUint32(offset, written);
    offset += FRAME_PREFIX_BYTES + written;
  }
  if (offset > 0) yield buf.subarray(0, offset);
}
