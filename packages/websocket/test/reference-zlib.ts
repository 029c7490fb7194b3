// An independent permessage-deflate peer for tests: node:zlib's streaming raw deflate/inflate, kept
// alive across messages for context takeover (the classic way, as ws does), flushed with Z_SYNC_FLUSH.
import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  type DeflateRaw,
  type InflateRaw,
} from "node:zlib";

type Stream = DeflateRaw | InflateRaw;

function run(stream: Stream, input: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const onData = (d: Buffer) => parts.push(d);
    stream.on("data", onData);
    stream.once("error", reject);
    stream.write(input);
    stream.flush(constants.Z_SYNC_FLUSH, () => {
      stream.off("data", onData);
      stream.off("error", reject);
      resolve(new Uint8Array(Buffer.concat(parts)));
    });
  });
}

export class ReferenceDeflate {
  #stream: DeflateRaw | undefined;
  constructor(
    readonly windowBits = 15,
    readonly takeover = true,
  ) {}
  async compress(data: Uint8Array): Promise<Uint8Array> {
    if (!this.#stream || !this.takeover) {
      this.#stream?.close();
      this.#stream = createDeflateRaw({ windowBits: this.windowBits });
    }
    const out = await run(this.#stream, data);
    return out.subarray(0, out.length - 4); // the 00 00 FF FF tail stays off the wire
  }
  close(): void {
    this.#stream?.close();
  }
}

export class ReferenceInflate {
  #stream: InflateRaw | undefined;
  constructor(readonly takeover = true) {}
  async decompress(data: Uint8Array): Promise<Uint8Array> {
    if (!this.#stream || !this.takeover) {
      this.#stream?.close();
      this.#stream = createInflateRaw({ windowBits: 15 });
    }
    const input = new Uint8Array(data.length + 4);
    input.set(data);
    input.set([0, 0, 0xff, 0xff], data.length);
    return run(this.#stream, input);
  }
  close(): void {
    this.#stream?.close();
  }
}
