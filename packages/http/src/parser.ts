// @netkit/http/parser: the pure half of HTTP/1.1 (no sockets, nothing from Bun), for any runtime
// with Node's Buffer: the strict incremental request parser, its limits and its errors.
export { HTTP_DEFAULTS } from "./defaults.ts";
export { HttpError, type HttpErrorCode } from "./errors.ts";
export {
  type ParserHandlers,
  type ParserLimits,
  type ParserPhase,
  type RequestBodyFraming,
  type RequestHead,
  RequestParser,
} from "./request-parser.ts";
