// OutputBuffer: one growable byte buffer per connection, so queued messages are copied once.

const INITIAL_BYTES = 4 * 1024;

/**
 * Bytes waiting to be written, kept contiguous so a whole turn's messages leave in one write.
 * Appending copies once; what the kernel took is consumed from the front.
 */
export class OutputBuffer {
  #bytes: Uint8Array | null = null;
  #start = 0;
  #end = 0;

  get length(): number {
    return this.#end - this.#start;
  }

  /** Makes room for `size` more bytes; returns the buffer and the offset to write them at. */
  reserve(size: number): { bytes: Uint8Array; offset: number } {
    let bytes = this.#bytes;
    if (!bytes || this.#end + size > bytes.length) {
      const live = this.#end - this.#start;
      if (bytes && live + size <= bytes.length && this.#start >= bytes.length / 2) {
        bytes.copyWithin(0, this.#start, this.#end); // reuse: the consumed front is big enough
      } else {
        let capacity = bytes ? bytes.length * 2 : INITIAL_BYTES;
        while (capacity < live + size) capacity *= 2;
        const grown = new Uint8Array(capacity);
        if (bytes) grown.set(bytes.subarray(this.#start, this.#end));
        bytes = grown;
        this.#bytes = grown;
      }
      this.#start = 0;
      this.#end = live;
    }
    const offset = this.#end;
    this.#end += size;
    return { bytes, offset };
  }

  append(data: Uint8Array): void {
    const { bytes, offset } = this.reserve(data.length);
    bytes.set(data, offset);
  }

  /** The bytes not yet written (a view, valid until the next append). */
  pending(): Uint8Array {
    return this.#bytes ? this.#bytes.subarray(this.#start, this.#end) : new Uint8Array(0);
  }

  /** Drops `count` written bytes from the front. */
  consume(count: number): void {
    this.#start += count;
    if (this.#start >= this.#end) {
      this.#start = 0;
      this.#end = 0;
      // Give back memory a burst grew, keep the small buffer for the next turn.
      if (this.#bytes && this.#bytes.length > 256 * 1024) this.#bytes = null;
    }
  }

  clear(): void {
    this.#bytes = null;
    this.#start = 0;
    this.#end = 0;
  }
}
