// `bun run bench/codec.ts`: the codec alone — decoding masked client frames (16 B and 64 KiB) fed in 64 KiB
// chunks, and encoding server frames. Prints one line per metric.
import { encodeFrame, FrameOpcode, WebSocketDecoder } from "../src/codec.ts";

const mask = Uint8Array.of(1, 2, 3, 4);
function decodeRate(payloadBytes: number, frames: number): { fps: number; MBps: number } {
  const one = encodeFrame(FrameOpcode.BINARY, new Uint8Array(payloadBytes).fill(7), { mask });
  const stream = new Uint8Array(one.length * frames);
  for (let i = 0; i < frames; i++) stream.set(one, i * one.length);
  const decoder = new WebSocketDecoder({ role: "server" });
  const started = performance.now();
  let count = 0;
  for (let at = 0; at < stream.length; at += 65536)
    count += decoder.push(stream.subarray(at, at + 65536)).length;
  const seconds = (performance.now() - started) / 1000;
  if (count !== frames) throw new Error(`decoded ${count} of ${frames}`);
  return {
    fps: Math.round(frames / seconds),
    MBps: Math.round((payloadBytes * frames) / seconds / 1e6),
  };
}

const small = decodeRate(16, 1_000_000);
const large = decodeRate(65536, 2000);
const payload = new Uint8Array(16);
const started = performance.now();
for (let i = 0; i < 1_000_000; i++) encodeFrame(FrameOpcode.BINARY, payload);
const encode = Math.round(1_000_000 / ((performance.now() - started) / 1000));
console.log(`decode_16b_fps ${small.fps}`);
console.log(`decode_64k_MBps ${large.MBps}`);
console.log(`encode_16b_fps ${encode}`);
