// The server's opening handshake (RFC 6455 §4.2): judge the upgrade request, pick a subprotocol and
// permessage-deflate, and word the 101 (or the refusal) for the HTTP server to write.
import { acceptKey } from "./accept-key.ts";
import { decodeBase64 } from "./base64.ts";
import {
  acceptDeflateOffer,
  type DeflateOptions,
  type DeflateParams,
} from "./deflate-negotiation.ts";
import { formatExtension, parseExtensions } from "./extension-header.ts";
import { type HeaderList, headerList, headerValues, isToken } from "./headers.ts";

/** The parts of an HTTP request the handshake reads (@netkit/http's RequestHead has them). */
export interface UpgradeRequestHead {
  method: string;
  /** 1 for HTTP/1.1 (or a later 1.x), 0 for HTTP/1.0. */
  versionMinor: number;
  headers: HeaderList;
}

/** What the server accepts in a handshake. */
export interface UpgradeOptions {
  /**
   * Subprotocols this server speaks, best first (the first one the client also offered wins), or
   * a function choosing among the client's offers. None in common: no Sec-WebSocket-Protocol, and
   * the client decides whether to go on (§4.2.2).
   */
  protocols?: readonly string[] | ((offered: string[]) => string | undefined);
  /** Accept permessage-deflate within these limits; false or absent: never compress. */
  deflate?: DeflateOptions | false;
  /**
   * The Origin check (§10.2): return false to refuse with 403. Browsers always send Origin;
   * other clients may not (undefined).
   */
  checkOrigin?: (origin: string | undefined) => boolean;
}

/** negotiateUpgrade's answer: the 101 to write, or the refusal. */
export type UpgradeDecision =
  | {
      ok: true;
      /** The whole 101 response head, CRLFs included: write it, then run the session. */
      response: string;
      protocol: string | undefined;
      /** Agreed permessage-deflate parameters, or undefined for no compression. */
      deflate: DeflateParams | undefined;
    }
  | {
      ok: false;
      status: 400 | 403 | 405 | 426;
      message: string;
      /** Headers the refusal must carry (426: `Sec-WebSocket-Version: 13`, §4.4). */
      headers: [string, string][];
      /** A complete response with a text body and `Connection: close`, for servers writing bytes. */
      response: string;
    };

function refuse(
  status: 400 | 403 | 405 | 426,
  message: string,
  headers: [string, string][] = [],
): UpgradeDecision {
  const reason = {
    400: "Bad Request",
    403: "Forbidden",
    405: "Method Not Allowed",
    426: "Upgrade Required",
  }[status];
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${reason}`,
    ...headers.map(([k, v]) => `${k}: ${v}`),
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${new TextEncoder().encode(body).length}`,
    "Connection: close",
  ];
  return { ok: false, status, message, headers, response: `${lines.join("\r\n")}\r\n\r\n${body}` };
}

const hasToken = (headers: HeaderList, name: string, token: string): boolean =>
  headerList(headers, name).some((element) => element.toLowerCase() === token);

/** Judges an upgrade request by §4.2.1 and answers it by §4.2.2. */
export function negotiateUpgrade(
  head: UpgradeRequestHead,
  options: UpgradeOptions = {},
): UpgradeDecision {
  const { headers } = head;
  if (head.method !== "GET")
    return refuse(405, "a WebSocket handshake is a GET", [["Allow", "GET"]]);
  if (head.versionMinor < 1) return refuse(400, "a WebSocket handshake needs HTTP/1.1");
  if (headerValues(headers, "host").length !== 1) return refuse(400, "one Host header is required");
  if (!hasToken(headers, "upgrade", "websocket")) {
    return refuse(426, "Upgrade: websocket is required", [
      ["Upgrade", "websocket"],
      ["Connection", "Upgrade"],
    ]);
  }
  if (!hasToken(headers, "connection", "upgrade"))
    return refuse(400, "Connection must contain Upgrade");
  const versions = headerList(headers, "sec-websocket-version");
  if (versions.length !== 1 || versions[0] !== "13") {
    // §4.4: say which versions we speak, so the client can retry with one of them.
    return refuse(426, "Sec-WebSocket-Version 13 is required", [["Sec-WebSocket-Version", "13"]]);
  }
  const keys = headerValues(headers, "sec-websocket-key");
  const key = keys.length === 1 ? (keys[0] as string).trim() : "";
  if (decodeBase64(key)?.length !== 16) {
    return refuse(400, "Sec-WebSocket-Key must be 16 bytes in base64");
  }
  const origins = headerValues(headers, "origin");
  if (options.checkOrigin && !options.checkOrigin(origins[0])) {
    return refuse(403, "this origin may not connect");
  }

  const offered = headerList(headers, "sec-websocket-protocol");
  if (!offered.every(isToken)) return refuse(400, "Sec-WebSocket-Protocol must list tokens");
  let protocol: string | undefined;
  if (offered.length > 0 && options.protocols) {
    const choose = options.protocols;
    protocol =
      typeof choose === "function" ? choose(offered) : choose.find((p) => offered.includes(p));
    if (protocol !== undefined && !offered.includes(protocol)) protocol = undefined; // §4.2.2: one of theirs
  }

  let deflate: DeflateParams | undefined;
  let extensionsLine: string | undefined;
  if (options.deflate) {
    const extensions = parseExtensions(headerValues(headers, "sec-websocket-extensions"));
    if (!extensions) return refuse(400, "Sec-WebSocket-Extensions is malformed");
    const accepted = acceptDeflateOffer(extensions, options.deflate);
    if (accepted) {
      deflate = accepted.params;
      extensionsLine = formatExtension(accepted.response);
    }
  }

  const lines = [
    "HTTP/1.1 101 Switching Protocols",
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Accept: ${acceptKey(key)}`,
  ];
  if (protocol !== undefined) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (extensionsLine !== undefined) lines.push(`Sec-WebSocket-Extensions: ${extensionsLine}`);
  return { ok: true, response: `${lines.join("\r\n")}\r\n\r\n`, protocol, deflate };
}
