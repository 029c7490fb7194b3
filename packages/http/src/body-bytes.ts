// Takes a Response body that Bun holds as bytes in memory (built from a string, bytes, JSON) without
// going through its ReadableStream, and leaves every other body (streams, files, proxied fetches) alone.
import { estimateShallowMemoryUsageOf } from "bun:jsc";

/**
 * Bun 1.4.5 has no public way to ask whether a body streams (oven-sh/bun#24725 proposes
 * `Bun.isBodyStreaming`), and `response.bytes()` would buffer a streamed body whole (an SSE
 * stream would never end). But a Response's memory estimate is `sizeof(Response)` + url +
 * statusText + the body's in-memory bytes, and 0 for a stream or file body (Body.zig
 * `estimatedSize`): more than the bare size means the bytes are there and `bytes()` resolves at
 * once. Reading the stream instead (getReader, a read, a second read one microtask later to see
 * `done`) cost about 1–2 µs per response, more than parsing the request.
 */
const BARE_RESPONSE_BYTES = estimateShallowMemoryUsageOf(new Response(null));

/** The estimate behaves as described in this Bun: bytes counted, a stream with data queued not. */
const ESTIMATE_TELLS_BYTES = (() => {
  try {
    const queued = new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array(64));
        },
      }),
    );
    const streamed = estimateShallowMemoryUsageOf(queued) === BARE_RESPONSE_BYTES;
    void queued.body?.cancel();
    const text = new Response("0123456789abcdef");
    const counted = estimateShallowMemoryUsageOf(text) === BARE_RESPONSE_BYTES + 16;
    const taken = Bun.peek.status(text.bytes()) === "fulfilled";
    return streamed && counted && taken;
  } catch {
    return false;
  }
})();

/**
 * The body's bytes when Bun holds them in memory (synchronously, as a value), else undefined:
 * the caller reads the stream. A body judged in memory that turns out not to be resolves later.
 */
export function bytesBodyOf(
  response: Response,
  statusText: string = response.statusText,
): Uint8Array | Promise<Uint8Array> | undefined {
  if (!ESTIMATE_TELLS_BYTES || response.bodyUsed || response.url !== "") return undefined;
  // A statusText may be stored as UTF-16 (two bytes a character): count it at the most.
  const overhead = BARE_RESPONSE_BYTES + statusText.length * 2;
  if (estimateShallowMemoryUsageOf(response) <= overhead) return undefined;
  const bytes = response.bytes();
  // peek gives the value of a settled promise (a rejection's reason too), else the promise.
  const value = Bun.peek(bytes);
  return value instanceof Uint8Array ? value : bytes;
}
