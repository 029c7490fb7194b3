import { describe, expect, test } from "bun:test";
import {
  encodeFrame,
  FrameDecoder,
  FramingError,
  MAX_ENCODABLE_FRAME_BYTES,
} from "../src/index.ts";
import { concat, hex, prng, randomSplit, utf8 } from "./helpers.ts";

describe("encodeFrame", () => {
  test("writes a u32 big-endian length before the payload", () => {
    expect(encodeFrame(utf8("hi"))).toEqual(hex("00000002 6869"));
    expect(encodeFrame("")).toEqual(hex("00000000"));
    expect(encodeFrame("é")).toEqual(hex("00000002 c3a9"));
    expect(encodeFrame(new Uint8Array(0x10203))).toEqual(
      concat([hex("00010203"), new Uint8Array(0x10203)]),
    );
  });

  test("refuses a payload its header cannot express", () => {
    const huge = { length: MAX_ENCODABLE_FRAME_BYTES + 1 } as unknown as Uint8Array;
    expect(() => encodeFrame(huge)).toThrow(expect.objectContaining({ code: "ENCODE_TOO_LARGE" }));
  });
});

describe("FrameDecoder", () => {
  test("decodes a frame whose bytes arrive one at a time", () => {
    const decoder = new FrameDecoder();
    const frames = [...encodeFrame("hi")].flatMap((b) => decoder.push(Uint8Array.of(b)));
    expect(frames).toEqual([utf8("hi")]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("decodes many frames from one chunk, zero-length ones included", () => {
    const stream = concat([encodeFrame("a"), encodeFrame(""), encodeFrame("bcd"), encodeFrame("")]);
    expect(new FrameDecoder().push(stream)).toEqual([utf8("a"), utf8(""), utf8("bcd"), utf8("")]);
  });

  test("every split point of a valid stream gives the same frames", () => {
    const payloads = ["", "x", "hello", "", "ż".repeat(40)].map(utf8);
    const stream = concat(payloads.map(encodeFrame));
    for (let i = 0; i <= stream.length; i++) {
      for (const j of [i, Math.min(stream.length, i + 1), Math.min(stream.length, i + 7)]) {
        const decoder = new FrameDecoder();
        const frames = [
          ...decoder.push(stream.subarray(0, i)),
          ...decoder.push(stream.subarray(i, j)),
          ...decoder.push(stream.subarray(j)),
        ];
        expect(frames).toEqual(payloads);
        decoder.finish();
      }
    }
  });

  test("property: random frames under random chunking round-trip exactly", () => {
    const seed = Date.now() >>> 0;
    const random = prng(seed);
    for (let round = 0; round < 300; round++) {
      const payloads = Array.from({ length: Math.floor(random() * 20) }, () => {
        const size = random() < 0.1 ? Math.floor(random() * 5000) : Math.floor(random() * 40);
        return Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
      });
      const decoder = new FrameDecoder();
      const pieces = randomSplit(concat(payloads.map(encodeFrame)), random, 300);
      const frames = pieces.flatMap((p) => decoder.push(p));
      if (frames.length !== payloads.length) throw new Error(`seed ${seed} round ${round}`);
      expect(frames).toEqual(payloads);
      expect(() => decoder.finish()).not.toThrow();
    }
  });

  test("a frame spanning many chunks is copied, not aliased to the chunks", () => {
    const payload = Uint8Array.from({ length: 100_000 }, (_, i) => i & 0xff);
    const stream = encodeFrame(payload);
    const decoder = new FrameDecoder();
    const frames: Uint8Array[] = [];
    for (let at = 0; at < stream.length; at += 4096) {
      const chunk = stream.slice(at, at + 4096);
      frames.push(...decoder.push(chunk));
      chunk.fill(0); // the transport may reuse its buffer
    }
    expect(frames).toHaveLength(1);
    expect(frames[0]).toEqual(payload);
  });

  const malformed: [string, Uint8Array, number, string][] = [
    ["a length over the limit", hex("00000005"), 4, "FRAME_TOO_LARGE"],
    ["the largest u32 length", hex("ffffffff"), 1 << 20, "FRAME_TOO_LARGE"],
    ["an over-limit header split over chunks", hex("0010"), 8, "FRAME_TOO_LARGE"],
  ];
  test.each(malformed)("rejects %s as soon as the header shows it", (_, bytes, max, code) => {
    const decoder = new FrameDecoder({ maxFrameBytes: max });
    const run = () => {
      decoder.push(bytes);
      decoder.push(hex("0000")); // completes the split header of the third case
    };
    expect(run).toThrow(expect.objectContaining({ code }));
  });

  test("the error carries the size seen and the limit", () => {
    try {
      new FrameDecoder({ maxFrameBytes: 10 }).push(hex("00000100"));
      throw new Error("no error");
    } catch (error) {
      expect(error).toBeInstanceOf(FramingError);
      expect(error).toMatchObject({ code: "FRAME_TOO_LARGE", size: 256, limit: 10 });
    }
  });

  test("frames before an oversize header in the same chunk are returned, then it throws", () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 8 });
    const stream = concat([encodeFrame("ok"), hex("00000009"), new Uint8Array(9)]);
    expect(decoder.push(stream)).toEqual([utf8("ok")]);
    expect(decoder.failure?.code).toBe("FRAME_TOO_LARGE");
    expect(() => decoder.push(new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: "FRAME_TOO_LARGE" }),
    );
  });

  test.each([
    ["half a header", hex("0000")],
    ["a header and half a body", hex("00000004 6162")],
    ["a header without body", hex("00000001")],
  ])("reports a stream that ends inside a frame: %s", (_, bytes) => {
    const decoder = new FrameDecoder();
    decoder.push(bytes);
    expect(() => decoder.finish()).toThrow(expect.objectContaining({ code: "TRUNCATED_FRAME" }));
  });

  test("feed/next/detach: frames are taken one at a time, the rest stays undecoded", () => {
    const decoder = new FrameDecoder();
    const chunk = concat([encodeFrame("one"), encodeFrame("two"), encodeFrame("thr")]);
    decoder.feed(chunk.subarray(0, chunk.length - 2));
    expect(decoder.next()).toEqual(utf8("one"));
    expect(decoder.bufferedBytes).toBe(chunk.length - 2 - 7);
    decoder.detach(); // the chunk may be reused now
    chunk.fill(0);
    expect(decoder.next()).toEqual(utf8("two"));
    expect(decoder.next()).toBeUndefined(); // "thr" lacks 2 bytes
    expect(decoder.bufferedBytes).toBe(5);
    decoder.feed(utf8("h"));
    expect(decoder.next()).toBeUndefined();
    decoder.feed(utf8("r"));
    expect(decoder.next()).toEqual(utf8("thr"));
    decoder.detach();
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("feed/next: views of one chunk share its memory; detach copies only what is left", () => {
    const decoder = new FrameDecoder({ copy: false });
    const chunk = concat([encodeFrame("ab"), encodeFrame("cd"), encodeFrame("e")]);
    decoder.feed(chunk);
    const first = decoder.next() as Uint8Array;
    expect(first.buffer).toBe(chunk.buffer);
    decoder.detach();
    expect(decoder.bufferedBytes).toBe(6 + 5);
    chunk.fill(0x78);
    expect(first).toEqual(utf8("xx")); // a view: the caller's bytes
    expect(decoder.next()).toEqual(utf8("cd")); // the kept copy is intact
    expect(decoder.next()).toEqual(utf8("e"));
    expect(decoder.next()).toBeUndefined();
    decoder.detach();
    expect(decoder.bufferedBytes).toBe(0);
    expect(() => decoder.finish()).not.toThrow();
  });

  test("next throws FRAME_TOO_LARGE at the oversize header, after the frames before it", () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 4 });
    decoder.feed(concat([encodeFrame("ok"), hex("00000005")]));
    expect(decoder.next()).toEqual(utf8("ok"));
    expect(() => decoder.next()).toThrow(expect.objectContaining({ code: "FRAME_TOO_LARGE" }));
    expect(decoder.failure?.code).toBe("FRAME_TOO_LARGE");
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("refuses nonsense options", () => {
    expect(() => new FrameDecoder({ maxFrameBytes: -1 })).toThrow(RangeError);
    expect(() => new FrameDecoder({ maxFrameBytes: 1.5 })).toThrow(RangeError);
  });
});
