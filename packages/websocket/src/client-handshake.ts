// The client's opening handshake (RFC 6455 §4.1): the upgrade request, and the checks on the 101.
import { acceptKey } from "./accept-key.ts";
import {
  type DeflateOptions,
  type DeflateParams,
  deflateOffer,
  readDeflateResponse,
} from "./deflate-negotiation.ts";
import { WebSocketError } from "./errors.ts";
import { formatExtension, parseExtensions } from "./extension-header.ts";
import { headerList, headerValues, isToken } from "./headers.ts";
import type { ResponseHead } from "./response-head.ts";

/** What goes into the client's upgrade request. */
export interface UpgradeRequestOptions {
  /** Host header: host, plus :port when not the scheme's default. */
  host: string;
  /** Path and query. @default "/" */
  path?: string;
  /** From createKey(). */
  key: string;
  protocols?: readonly string[];
  /** Offer permessage-deflate with these wishes. */
  deflate?: DeflateOptions | false;
  origin?: string;
  /** More header lines (authorization, cookies). */
  headers?: readonly (readonly [string, string])[];
}

/** The request head, CRLFs included. */
export function encodeUpgradeRequest(options: UpgradeRequestOptions): string {
  const lines = [
    `GET ${options.path ?? "/"} HTTP/1.1`,
    `Host: ${options.host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${options.key}`,
    "Sec-WebSocket-Version: 13",
  ];
  const protocols = options.protocols ?? [];
  if (protocols.length > 0) {
    if (!protocols.every(isToken)) throw new TypeError("subprotocols must be tokens");
    lines.push(`Sec-WebSocket-Protocol: ${protocols.join(", ")}`);
  }
  if (options.deflate)
    lines.push(`Sec-WebSocket-Extensions: ${formatExtension(deflateOffer(options.deflate))}`);
  if (options.origin !== undefined) lines.push(`Origin: ${options.origin}`);
  for (const [name, value] of options.headers ?? []) {
    if (/[\r\n]/.test(name + value)) throw new TypeError(`header ${name} holds a line break`);
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** What the server agreed to. */
export interface UpgradeAgreement {
  protocol: string | undefined;
  deflate: DeflateParams | undefined;
}

const failed = (message: string): never => {
  throw new WebSocketError("HANDSHAKE_FAILED", message);
};

/** Checks the server's answer by §4.1 (items 1–6 of the client's checks); throws HANDSHAKE_FAILED. */
export function checkUpgradeResponse(
  head: ResponseHead,
  request: Pick<UpgradeRequestOptions, "key" | "protocols" | "deflate">,
): UpgradeAgreement {
  const { headers } = head;
  if (head.status !== 101) failed(`the server answered ${head.status} ${head.reason}`.trim());
  if (!headerList(headers, "upgrade").some((v) => v.toLowerCase() === "websocket")) {
    failed("the 101 lacks Upgrade: websocket");
  }
  if (!headerList(headers, "connection").some((v) => v.toLowerCase() === "upgrade")) {
    failed("the 101 lacks Connection: Upgrade");
  }
  const accept = headerValues(headers, "sec-websocket-accept");
  if (accept.length !== 1 || accept[0] !== acceptKey(request.key)) {
    failed("Sec-WebSocket-Accept does not match the key");
  }
  const protocols = headerList(headers, "sec-websocket-protocol");
  if (protocols.length > 1) failed("the server chose more than one subprotocol");
  const protocol = protocols[0];
  if (protocol !== undefined && !(request.protocols ?? []).includes(protocol)) {
    failed(`the server chose subprotocol ${protocol}, which was not offered`);
  }
  let deflate: DeflateParams | undefined;
  const extensions = parseExtensions(headerValues(headers, "sec-websocket-extensions"));
  if (!extensions) return failed("Sec-WebSocket-Extensions is malformed");
  for (const extension of extensions) {
    // §9.1: only an extension the client offered may be used, and only once.
    if (!request.deflate || deflate)
      failed(`the server chose extension ${extension.name}, which was not offered`);
    deflate = readDeflateResponse(extension, request.deflate || {});
    if (!deflate)
      failed(
        `the server's permessage-deflate answer is not one we allowed: ${formatExtension(extension)}`,
      );
  }
  return { protocol, deflate };
}
