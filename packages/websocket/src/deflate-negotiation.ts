// permessage-deflate negotiation (RFC 7692 §5, §7.1): the client's offers, the server's answer, and
// the client's check of that answer. Pure: the compression itself is in permessage-deflate.ts.
import type { ExtensionOffer } from "./extension-header.ts";

/** The extension token of RFC 7692. */
export const PERMESSAGE_DEFLATE = "permessage-deflate";

/** What one side is willing to do; every field narrows what is agreed. */
export interface DeflateOptions {
  /** Ask the server to reset its compressor after every message. @default false */
  serverNoContextTakeover?: boolean;
  /** Ask the client to reset its compressor after every message. @default false */
  clientNoContextTakeover?: boolean;
  /** The largest LZ77 window (8–15 bits) the server may compress with. @default 15 */
  serverMaxWindowBits?: number;
  /** The largest window (8–15 bits) the client may compress with. @default 15 */
  clientMaxWindowBits?: number;
}

/** What was agreed: both sides compress and decompress by these. */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

interface OfferParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true`: offered without a value (the client supports any). */
  clientMaxWindowBits: number | true | undefined;
}

const WINDOW_BITS = /^(?:[89]|1[0-5])$/; // §7.1.2.1: 8 to 15, no leading zeros

function checkBits(value: number | undefined, name: string): number {
  const bits = value ?? 15;
  if (!Number.isInteger(bits) || bits < 8 || bits > 15)
    throw new RangeError(`bad ${name}: ${value}`);
  return bits;
}

/** The parameters of one element, or undefined if it breaks §7 (unknown, repeated, bad value). */
function readParams(
  params: [string, string | true][],
  isResponse: boolean,
): OfferParams | undefined {
  const seen = new Set<string>();
  const result: OfferParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  for (const [name, value] of params) {
    const key = name.toLowerCase();
    if (seen.has(key)) return undefined; // §7: a parameter may appear once
    seen.add(key);
    if (key === "server_no_context_takeover" || key === "client_no_context_takeover") {
      if (value !== true) return undefined;
      if (key === "server_no_context_takeover") result.serverNoContextTakeover = true;
      else result.clientNoContextTakeover = true;
    } else if (key === "server_max_window_bits") {
      if (value === true || !WINDOW_BITS.test(value)) return undefined;
      result.serverMaxWindowBits = Number(value);
    } else if (key === "client_max_window_bits") {
      if (value === true) {
        if (isResponse) return undefined; // a response must give the number (§7.1.2.2)
        result.clientMaxWindowBits = true;
      } else {
        if (!WINDOW_BITS.test(value)) return undefined;
        result.clientMaxWindowBits = Number(value);
      }
    } else {
      return undefined;
    }
  }
  return result;
}

/**
 * Server side: the first acceptable permessage-deflate offer, answered within `options`; or
 * undefined to go on without compression (offers we cannot honour are declined, not refused).
 */
export function acceptDeflateOffer(
  offers: ExtensionOffer[],
  options: DeflateOptions = {},
): { params: DeflateParams; response: ExtensionOffer } | undefined {
  const serverBitsLimit = checkBits(options.serverMaxWindowBits, "serverMaxWindowBits");
  const clientBitsLimit = checkBits(options.clientMaxWindowBits, "clientMaxWindowBits");
  for (const offer of offers) {
    if (offer.name.toLowerCase() !== PERMESSAGE_DEFLATE) continue;
    const wanted = readParams(offer.params, false);
    if (!wanted) continue;
    // A limit on the client's window can only be told to a client that offered the parameter.
    if (clientBitsLimit < 15 && wanted.clientMaxWindowBits === undefined) continue;
    const params: DeflateParams = {
      serverNoContextTakeover:
        wanted.serverNoContextTakeover || options.serverNoContextTakeover === true,
      clientNoContextTakeover:
        wanted.clientNoContextTakeover || options.clientNoContextTakeover === true,
      serverMaxWindowBits: Math.min(wanted.serverMaxWindowBits ?? 15, serverBitsLimit),
      clientMaxWindowBits: Math.min(
        typeof wanted.clientMaxWindowBits === "number" ? wanted.clientMaxWindowBits : 15,
        clientBitsLimit,
      ),
    };
    const response: ExtensionOffer = { name: PERMESSAGE_DEFLATE, params: [] };
    if (params.serverNoContextTakeover) response.params.push(["server_no_context_takeover", true]);
    if (params.clientNoContextTakeover) response.params.push(["client_no_context_takeover", true]);
    if (wanted.serverMaxWindowBits !== undefined || params.serverMaxWindowBits < 15) {
      response.params.push(["server_max_window_bits", String(params.serverMaxWindowBits)]);
    }
    if (wanted.clientMaxWindowBits !== undefined && params.clientMaxWindowBits < 15) {
      response.params.push(["client_max_window_bits", String(params.clientMaxWindowBits)]);
    }
    return { params, response };
  }
  return undefined;
}

/** Client side: the offer to send. client_max_window_bits goes without a value unless limited. */
export function deflateOffer(options: DeflateOptions = {}): ExtensionOffer {
  const offer: ExtensionOffer = { name: PERMESSAGE_DEFLATE, params: [] };
  if (options.serverNoContextTakeover) offer.params.push(["server_no_context_takeover", true]);
  if (options.clientNoContextTakeover) offer.params.push(["client_no_context_takeover", true]);
  const serverBits = checkBits(options.serverMaxWindowBits, "serverMaxWindowBits");
  if (serverBits < 15) offer.params.push(["server_max_window_bits", String(serverBits)]);
  const clientBits = checkBits(options.clientMaxWindowBits, "clientMaxWindowBits");
  offer.params.push(["client_max_window_bits", clientBits < 15 ? String(clientBits) : true]);
  return offer;
}

/**
 * Client side: checks the server's answer against what was offered (§7.1); undefined means the
 * answer is not one we allowed, and the client must fail the connection.
 */
export function readDeflateResponse(
  response: ExtensionOffer,
  offered: DeflateOptions = {},
): DeflateParams | undefined {
  if (response.name.toLowerCase() !== PERMESSAGE_DEFLATE) return undefined;
  const got = readParams(response.params, true);
  if (!got) return undefined;
  const serverBits = checkBits(offered.serverMaxWindowBits, "serverMaxWindowBits");
  const clientBits = checkBits(offered.clientMaxWindowBits, "clientMaxWindowBits");
  if (offered.serverNoContextTakeover && !got.serverNoContextTakeover) return undefined;
  if (serverBits < 15 && (got.serverMaxWindowBits ?? 15) > serverBits) return undefined;
  if (typeof got.clientMaxWindowBits === "number" && got.clientMaxWindowBits > clientBits) {
    return undefined;
  }
  return {
    serverNoContextTakeover: got.serverNoContextTakeover,
    clientNoContextTakeover:
      got.clientNoContextTakeover || offered.clientNoContextTakeover === true,
    serverMaxWindowBits: got.serverMaxWindowBits ?? 15,
    clientMaxWindowBits:
      typeof got.clientMaxWindowBits === "number" ? got.clientMaxWindowBits : clientBits,
  };
}
