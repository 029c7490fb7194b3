// @netkit/http: HTTP/1.1 from the bytes up: a strict request parser, a response writer, and a
// server on framing's Connection that answers with any Fetch handler (Hono, itty, a plain function).

export {
  HTTP_DEFAULTS,
  HttpError,
  type HttpErrorCode,
  type ParserHandlers,
  type ParserLimits,
  type ParserPhase,
  type RequestBodyFraming,
  type RequestHead,
  RequestParser,
} from "./parser.ts";
export type { HttpConnection } from "./send-response.ts";
export {
  type ClientInfo,
  type FetchHandler,
  type HttpServer,
  type HttpServerOptions,
  startHttpServer,
} from "./server.ts";
export {
  type ConnectionTakeover,
  switchProtocols,
  type TakeoverStart,
} from "./takeover.ts";
