// OutputBuffer: the bytes queued for one connection, copied once, written a block at a time.

/** First block of a connection: small, because most peers get little at a time. */
const FIRST_BLOCK_BYTES = 4 * 1024;
/** Later blocks: big enough that a burst leaves in few writes. */
const BLOCK_BYTES = 64 * 1024;

/** Emptied 64 KiB blocks kept for reuse by any connection (at most 4 MiB), so bursts don't
 * allocate and zero fresh memory every turn. */
const spareBlocks: Uint8Array[] = [];
const MAX_SPARE_BLOCKS = 64;

function newBlock(size: number): Uint8Array {
  if (size === BLOCK_BYTES) {
    const spare = spareBlocks.pop();
    if (spare) return spare;
  }
  return new Uint8Array(size);
}

function recycle(bytes: Uint8Array): void {
  if (bytes.length === BLOCK_BYTES && spareBlocks.length < MAX_SPARE_BLOCKS)
    spareBlocks.push(bytes);
}

interface Block {
  bytes: Uint8Array;
  /** Written (consumed) up to here. */
  start: number;
  /** Filled up to here. */
  end: number;
}

/**
 * A queue of byte blocks. Appending copies once into the last block (or a new one); nothing is
 * ever moved or re-copied as the queue grows, and a block emptied by writes is reused, so a busy
 * connection allocates nothing per turn.
 */
export class OutputBuffer {
  #blocks: Block[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Makes room for `size` more bytes; returns the buffer and the offset to write them at. */
  reserve(size: number): { bytes: Uint8Array; offset: number } {
    let last = this.#blocks[this.#blocks.length - 1];
    if (!last || last.end + size > last.bytes.length) {
      const blockBytes = this.#blocks.length === 0 ? FIRST_BLOCK_BYTES : BLOCK_BYTES;
      last = { bytes: newBlock(Math.max(blockBytes, size)), start: 0, end: 0 };
      this.#blocks.push(last);
    }
    const offset = last.end;
    last.end += size;
    this.#length += size;
    return { bytes: last.bytes, offset };
  }

  append(data: Uint8Array): void {
    const { bytes, offset } = this.reserve(data.length);
    bytes.set(data, offset);
  }

  /** The next bytes to write: the unwritten part of the first block (a view). */
  pending(): Uint8Array {
    const first = this.#blocks[0];
    return first ? first.bytes.subarray(first.start, first.end) : new Uint8Array(0);
  }

  /** Drops `count` written bytes from the front (at most one block's worth). */
  consume(count: number): void {
    const first = this.#blocks[0];
    if (!first) return;
    first.start += count;
    this.#length -= count;
    if (first.start < first.end) return;
    if (this.#blocks.length > 1) {
      recycle(this.#blocks.shift()!.bytes);
    } else if (first.bytes.length <= BLOCK_BYTES) {
      first.start = 0; // reuse the emptied block next turn
      first.end = 0;
    } else {
      this.#blocks = []; // an oversized one-off block: give the memory back
    }
  }

  clear(): void {
    for (const block of this.#blocks) recycle(block.bytes);
    this.#blocks = [];
    this.#length = 0;
  }
}
