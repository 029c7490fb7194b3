// Protocols: how a Connection turns bytes into messages and messages into bytes.
import type { FramingError } from "./errors.ts";
import {
  encodeFrame,
  encodeFrameInto,
  FrameDecoder,
  type FrameDecoderOptions,
} from "./length-prefixed.ts";
import { encodeLine, LineDecoder } from "./lines.ts";
import type { OutputBuffer } from "./output-buffer.ts";

/** A streaming decoder: any chunking in, whole messages out. */
export interface MessageDecoder<In> {
  push(chunk: Uint8Array): In[];
  /** End of stream: what is left (a last line), or a TRUNCATED_FRAME throw. */
  finish(): In[];
  /** A fatal error met after the messages `push` just returned; the connection closes after them. */
  readonly failure?: FramingError | undefined;
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

export interface Protocol<In, Out> {
  createDecoder(context: DecoderContext): MessageDecoder<In>;
  encode(message: Out): Uint8Array;
  /** Optional: encode straight into a connection's output buffer (saves a copy per message). */
  encodeInto?(message: Out, out: OutputBuffer): void;
}

/** Length-prefixed frames (u32 big-endian length + payload); strings are sent as UTF-8. */
export function frames(
  options: FrameDecoderOptions = {},
): Protocol<Uint8Array, Uint8Array | string> {
  new FrameDecoder(options); // validates the options once, at construction
  return {
    createDecoder(context) {
      const decoder = new FrameDecoder({ ...options, copy: !context.consumedAtOnce });
      return {
        push: (chunk) => decoder.push(chunk),
        finish: () => {
          decoder.finish();
          return [];
        },
        get failure() {
          return decoder.failure;
        },
      };
    },
    encode: encodeFrame,
    encodeInto: encodeFrameInto,
  };
}

export interface LinesProtocolOptions {
  /** @default 64 KiB */
  maxLineBytes?: number;
  /**
   * What an over-long line does: "close" the connection (the default), or "drop" the line and
   * keep going; a dropped line reaches the listener's `onRecoverableError`.
   */
  oversize?: "close" | "drop";
}

/** LF-terminated UTF-8 lines, CRLF tolerated. */
export function lines(options: LinesProtocolOptions = {}): Protocol<string, string> {
  new LineDecoder({ maxLineBytes: options.maxLineBytes }); // validates the options
  return {
    createDecoder(context) {
      const decoder = new LineDecoder({
        maxLineBytes: options.maxLineBytes,
        onOversize: options.oversize === "drop" ? context.onRecoverable : undefined,
      });
      return decoder;
    },
    encode: encodeLine,
  };
}
