// Protocols: how a Connection turns bytes into messages and messages into bytes.
import type { FramingError } from "./errors.ts";
import {
  encodeFrameInto,
  encodePrefixed,
  FrameDecoder,
  type FrameDecoderOptions,
} from "./length-prefixed.ts";
import { encodeLine, LineDecoder } from "./lines.ts";
import type { OutputBuffer } from "./output-buffer.ts";
import { encodeText } from "./utf8.ts";

/** A streaming decoder: any chunking in, whole messages out. */
export interface MessageDecoder<In> {
  push(chunk: Uint8Array): In[];
  /** End of stream: what is left (a last line), or a TRUNCATED_FRAME throw. */
  finish(): In[];
  /** A fatal error met after the messages `push` just returned; the connection closes after them. */
  readonly failure?: FramingError | undefined;
  /**
   * Bytes held of an incomplete message. Non-zero starts the connection's message deadline, and
   * counts toward the server's input budget. @default 0
   */
  readonly bufferedBytes?: number;
  /**
   * Optional, used in push mode: `feed` a chunk, take whole messages one at a time with `next()`
   * (undefined when none is complete), then `detach()` before the chunk is reused. What is not
   * taken stays undecoded in the decoder, so a connection behind `hold()` keeps the rest of a
   * chunk as one copy rather than one per message, and decodes it on `proceed()`.
   */
  feed?(chunk: Uint8Array): void;
  next?(): In | undefined;
  detach?(): void;
}

/** Hooks a Connection gives its decoder. */
export interface DecoderContext {
  /** True when each message is consumed before the next chunk arrives (push mode): views are safe. */
  consumedAtOnce: boolean;
  /**
   * A recoverable problem (an over-long line that was dropped): the connection stays open.
   * `index`: how many messages of the current push() come before it.
   */
  onRecoverable(error: FramingError, index: number): void;
}

/** How a connection turns bytes into messages and back: `frames()`, `lines()`, `bytes()`, or your own. */
export interface Protocol<In, Out> {
  createDecoder(context: DecoderContext): MessageDecoder<In>;
  encode(message: Out): Uint8Array;
  /** Optional: encode straight into a connection's output buffer (saves a copy per message). */
  encodeInto?(message: Out, out: OutputBuffer): void;
}

/**
 * Length-prefixed frames (big-endian length + payload: u32 by default, u16 with `prefixBytes: 2`
 * for DNS over TCP); strings are sent as UTF-8.
 */
export function frames(
  options: FrameDecoderOptions = {},
): Protocol<Uint8Array, Uint8Array | string> {
  const prefixBytes = new FrameDecoder(options).prefixBytes; // validates the options once
  return {
    createDecoder: (context) => frameDecoder(options, context),
    encode: (message) => encodePrefixed(message, prefixBytes),
    encodeInto: (message, out) => encodeFrameInto(message, out, prefixBytes),
  };
}

function frameDecoder(
  options: FrameDecoderOptions,
  context: DecoderContext,
): MessageDecoder<Uint8Array> {
  const decoder = new FrameDecoder({ ...options, copy: !context.consumedAtOnce });
  return {
    push: (chunk) => decoder.push(chunk),
    feed: (chunk) => decoder.feed(chunk),
    next: () => decoder.next(),
    detach: () => decoder.detach(),
    finish: () => {
      decoder.finish();
      return [];
    },
    get failure() {
      return decoder.failure;
    },
    get bufferedBytes() {
      return decoder.bufferedBytes;
    },
  };
}

/**
 * Stream mode: every chunk as it arrives, for parsers that consume bytes and ask for more (the
 * HTTP request parser, a protocol upgrade). In push mode a chunk is a view valid during the call.
 * The parser tells the connection where it stands with `reportPartialInput(bytes)`, which drives
 * the message deadline and the input budget as a decoder's partial frame does.
 */
export function bytes(): Protocol<Uint8Array, Uint8Array | string> {
  return {
    createDecoder(context) {
      const copy = !context.consumedAtOnce;
      return {
        push: (chunk) => [copy ? chunk.slice() : chunk],
        finish: () => [],
      };
    },
    encode: (message) => (typeof message === "string" ? encodeText(message) : message),
  };
}

/** Options of the `lines()` protocol. */
export interface LinesProtocolOptions {
  /** @default 64 KiB */
  maxLineBytes?: number;
  /**
   * What an over-long line does: "close" the connection (the default), or "drop" the line and
   * keep going; a dropped line reaches the listener's `onRecoverableError`.
   */
  oversize?: "close" | "drop";
  /**
   * A last line without LF when the peer ends the stream: "deliver" it (the echo service
   * answers it) or "drop" it (a chat room must not broadcast half a line). @default "deliver"
   */
  unterminated?: "deliver" | "drop";
  /**
   * A line that is not valid UTF-8: "replace" the bad bytes with U+FFFD (the default), or
   * "drop" the line and report INVALID_UTF8 to the listener's `onRecoverableError`, so the
   * service can refuse it the way it refuses any other bad text.
   */
  invalidUtf8?: "replace" | "drop";
}

/** LF-terminated UTF-8 lines, CRLF tolerated. */
export function lines(options: LinesProtocolOptions = {}): Protocol<string, string> {
  new LineDecoder({ maxLineBytes: options.maxLineBytes }); // validates the options
  return {
    createDecoder(context) {
      const decoder = new LineDecoder({
        maxLineBytes: options.maxLineBytes,
        onOversize: options.oversize === "drop" ? context.onRecoverable : undefined,
        onInvalidUtf8: options.invalidUtf8 === "drop" ? context.onRecoverable : undefined,
      });
      if (options.unterminated !== "drop") return decoder;
      return {
        push: (chunk) => decoder.push(chunk),
        finish: () => [],
        get failure() {
          return decoder.failure;
        },
        get bufferedBytes() {
          return decoder.bufferedBytes;
        },
      };
    },
    encode: encodeLine,
  };
}
