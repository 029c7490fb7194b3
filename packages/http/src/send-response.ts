// Writes one Fetch Response onto a framing Connection as HTTP/1.1 bytes, never queueing more
// than the connection's limit: Content-Length when the body is all there, chunked (or
// close-delimited to HTTP/1.0) when it streams.
import type { Connection } from "@netkit/framing";
import { bytesBodyOf } from "./body-bytes.ts";
import { encodeHead, type HeadOptions, serializeHead, statusHasNoBody } from "./response-writer.ts";

/** A server-side HTTP connection (framing's Connection in byte-stream mode): raw bytes in, bytes or ASCII text out. */
export type HttpConnection = Connection<Uint8Array, Uint8Array | string>;

/** Where a response goes, and how much of it may wait for a slow reader. */
export interface ResponseSink {
  connection: HttpConnection;
  /** Queued bytes past which writing waits for the reader (kept below the Connection's hard cap). */
  maxQueuedBytes: number;
}

/** What the request decided about its response, and the Response's status read once. */
export interface ResponseShape {
  /** `response.status` and `response.statusText`: each getter is a native call. */
  status: number;
  statusText: string;
  /** HEAD: headers only. */
  headOnly: boolean;
  http10: boolean;
  /** The Connection header to send: "close", "keep-alive" (to 1.0), or none. */
  connection: "close" | "keep-alive" | null;
  date: string;
}

/** The part of a default reader we use (Bun's types offer a BYOB overload that gets in the way). */
type ReadResult = { done: true; value?: undefined } | { done: false; value: Uint8Array };
interface BodyReader {
  read(): Promise<ReadResult>;
  cancel(reason?: unknown): Promise<void>;
}

/** A synchronous result when everything fit, a promise when the reader had to catch up. */
export type MaybeAsync<T> = T | Promise<T>;

const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");
const CRLF = Buffer.from("\r\n", "latin1");
/** Bodies up to this size go out in the same write as the head (one packet); bigger ones after it. */
const COALESCE_BYTES = 16 * 1024;
/** Where a head and a small body are put together before their one write (reused, see writeHead). */
const SCRATCH = Buffer.allocUnsafe(COALESCE_BYTES + 16 * 1024);

/** Runs `next` on the value, at once when it is there, after the promise otherwise. */
export function then<T, U>(value: MaybeAsync<T>, next: (value: T) => MaybeAsync<U>): MaybeAsync<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * Writes bytes after everything written before, without the queue passing `maxQueuedBytes`:
 * what does not fit waits for the reader, in slices. False once the connection is closed.
 * One writer at a time: the server writes only the response of the exchange it is answering.
 */
export function put(sink: ResponseSink, data: Uint8Array): MaybeAsync<boolean> {
  const { connection } = sink;
  if (connection.isClosed) return false;
  if (connection.queuedBytes + data.length <= sink.maxQueuedBytes) {
    return connection.sendBytesNow(data);
  }
  return putSlowly(sink, data);
}

async function putSlowly(sink: ResponseSink, data: Uint8Array): Promise<boolean> {
  const { connection } = sink;
  const slice = Math.max(1, sink.maxQueuedBytes >> 1);
  for (let at = 0; at < data.length; ) {
    if (connection.queuedBytes + Math.min(slice, data.length - at) > sink.maxQueuedBytes) {
      await connection.drained();
    }
    if (connection.isClosed) return false;
    const end = Math.min(data.length, at + slice);
    if (!connection.sendBytesNow(data.subarray(at, end))) return false;
    at = end;
  }
  return true;
}

/**
 * Writes `response` in full. Resolves true when the connection may carry another request after
 * it, false when it must close (a close-delimited body, a closed peer). A body stream that fails
 * rejects: mid-body the only way to tell the peer is to close without the final chunk.
 */
export function sendResponse(
  sink: ResponseSink,
  response: Response,
  shape: ResponseShape,
): MaybeAsync<boolean> {
  const noBody = statusHasNoBody(shape.status);
  // A body built from a string or bytes, taken whole without a stream (the common case).
  const whole = bytesBodyOf(response, shape.statusText);
  if (whole instanceof Uint8Array) return writeWhole(sink, response, shape, noBody, whole);
  if (whole !== undefined) {
    return whole.then((bytes) => writeWhole(sink, response, shape, noBody, bytes));
  }
  const body = response.body;
  if (body === null) return writeHead(sink, response, shape, noBody ? "none" : 0, null);
  const reader = body.getReader() as unknown as BodyReader;
  const first = reader.read();
  if (Bun.peek.status(first) !== "fulfilled")
    return streamBody(sink, reader, response, shape, [], first);
  // Bodies made from strings, bytes or Blobs resolve at once: send them with Content-Length.
  const step = Bun.peek(first) as ReadResult;
  if (step.done) return writeHead(sink, response, shape, noBody ? "none" : 0, null);
  return reader.read().then((next) => {
    if (sink.connection.isClosed) {
      void reader.cancel().catch(() => {});
      return false;
    }
    if (!next.done) return streamBody(sink, reader, response, shape, [step.value, next.value]);
    const omit = shape.headOnly || noBody;
    return writeHead(
      sink,
      response,
      shape,
      omit && noBody ? "none" : step.value.length,
      omit ? null : step.value,
    );
  });
}

/** A body taken whole: Content-Length (a HEAD's or a 204's body is left out). */
function writeWhole(
  sink: ResponseSink,
  response: Response,
  shape: ResponseShape,
  noBody: boolean,
  bytes: Uint8Array,
): MaybeAsync<boolean> {
  if (sink.connection.isClosed) return false;
  const omit = shape.headOnly || noBody;
  return writeHead(
    sink,
    response,
    shape,
    omit && noBody ? "none" : bytes.length,
    omit ? null : bytes,
  );
}

function writeHead(
  sink: ResponseSink,
  response: Response,
  shape: ResponseShape,
  framing: number | "chunked" | "close-delimited" | "none",
  body: Uint8Array | null,
): MaybeAsync<boolean> {
  const head: HeadOptions = {
    status: shape.status,
    statusText: shape.statusText,
    headers: response.headers,
    date: shape.date,
    framing,
    connection: framing === "close-delimited" ? "close" : shape.connection,
  };
  const keepAlive = shape.connection !== "close" && framing !== "close-delimited";
  const { connection } = sink;
  const bodyLength = body === null ? 0 : body.length;
  if (bodyLength <= COALESCE_BYTES) {
    // Written at once (sendBytesNow copies what the kernel does not take), so one buffer serves
    // every response: no allocation per response.
    const headLength = encodeHead(head, SCRATCH);
    const size = headLength + bodyLength;
    if (
      headLength >= 0 &&
      size <= SCRATCH.length &&
      connection.queuedBytes + size <= sink.maxQueuedBytes
    ) {
      if (body !== null) SCRATCH.set(body, headLength);
      return !connection.isClosed && connection.sendBytesNow(scratchView(size)) && keepAlive;
    }
  }
  const sent = put(sink, serializeHead(head));
  if (body === null) return then(sent, (ok) => ok && keepAlive);
  return then(sent, (ok) => ok && then(put(sink, body), (done) => done && keepAlive));
}

/** SCRATCH's first `size` bytes, the view kept while sizes repeat (a subarray costs ~25 ns). */
let lastView = SCRATCH.subarray(0, 0);
function scratchView(size: number): Uint8Array {
  if (lastView.length !== size) lastView = SCRATCH.subarray(0, size);
  return lastView;
}

/** A body that is not all there yet: chunked to HTTP/1.1, close-delimited to HTTP/1.0. */
async function streamBody(
  sink: ResponseSink,
  reader: BodyReader,
  response: Response,
  shape: ResponseShape,
  firstChunks: Uint8Array[],
  pending?: Promise<ReadResult>,
): Promise<boolean> {
  if (shape.headOnly || statusHasNoBody(shape.status)) {
    void reader.cancel().catch(() => {});
    return writeHead(sink, response, shape, "none", null);
  }
  const raw = shape.http10;
  let next = pending ?? reader.read();
  // writeHead resolves false for "not reusable" too (Connection: close): only a closed peer stops us.
  await writeHead(sink, response, shape, raw ? "close-delimited" : "chunked", null);
  if (sink.connection.isClosed) {
    void reader.cancel().catch(() => {});
    return false;
  }
  for (const chunk of firstChunks) await writeChunk(sink, chunk, raw);
  for (;;) {
    const step = await next;
    if (sink.connection.isClosed) {
      void reader.cancel().catch(() => {});
      return false;
    }
    if (step.done) break;
    if (!(await writeChunk(sink, step.value, raw))) {
      void reader.cancel().catch(() => {});
      return false;
    }
    next = reader.read();
  }
  if (raw) return false; // the end of a close-delimited body is the close
  return (await put(sink, LAST_CHUNK)) && shape.connection !== "close";
}

function writeChunk(sink: ResponseSink, chunk: Uint8Array, raw: boolean): MaybeAsync<boolean> {
  if (chunk.length === 0) return true;
  if (raw) return put(sink, chunk);
  const sizeLine = `${chunk.length.toString(16)}\r\n`;
  if (chunk.length > COALESCE_BYTES) {
    return then(put(sink, Buffer.from(sizeLine, "latin1")), (ok) =>
      ok ? then(put(sink, chunk), (done) => done && put(sink, CRLF)) : false,
    );
  }
  const out = Buffer.allocUnsafe(sizeLine.length + chunk.length + 2);
  out.write(sizeLine, 0, "latin1");
  out.set(chunk, sizeLine.length);
  out.set(CRLF, sizeLine.length + chunk.length);
  return put(sink, out);
}
