// DnsError: the one error class of @netkit/dns; match on its stable string `code`.
import { Rcode } from "./constants.ts";

/** Every way DNS input or a DNS exchange can fail. The strings are a stable contract. */
export type DnsErrorCode =
  /** Fewer than 12 bytes: no header to read (RFC 1035 §4.1.1). */
  | "TRUNCATED_HEADER"
  /** A section count promises more entries than the message holds. */
  | "TRUNCATED_MESSAGE"
  /** A record's rdata is shorter or longer than its type requires, or runs past the message. */
  | "BAD_RDATA"
  /** rdlength points past the end of the message. */
  | "RDATA_OVERRUN"
  /** A label longer than 63 bytes (RFC 1035 §2.3.4). */
  | "LABEL_TOO_LONG"
  /** A name longer than 255 bytes in wire form (RFC 1035 §2.3.4). */
  | "NAME_TOO_LONG"
  /** A compression pointer that points forward or at itself (only backward pointers are accepted). */
  | "BAD_POINTER"
  /** More compression pointers followed than MAX_COMPRESSION_POINTERS: a loop or an attack. */
  | "POINTER_LOOP"
  /** Label type 0x40/0x80 (RFC 6891 §5 reserved / obsolete extended labels). */
  | "BAD_LABEL_TYPE"
  /** More than one OPT record, or an OPT record outside the additional section / not at the root. */
  | "BAD_OPT"
  /** A value that cannot be encoded (out-of-range number, bad address, over-long string). */
  | "BAD_VALUE"
  /** The encoded message would exceed 65535 bytes. */
  | "MESSAGE_TOO_LARGE"
  /** Presentation (zone file / dig) text that cannot be parsed. */
  | "BAD_PRESENTATION"
  /** No server replied within the timeouts and retries. */
  | "TIMEOUT"
  /** A server replied with something that could not be decoded. */
  | "BAD_RESPONSE"
  /** A socket error (connection refused, reset, send failure). */
  | "NETWORK"
  /** No servers configured and none found in /etc/resolv.conf. */
  | "NO_SERVERS"
  /** The query was cancelled: by its AbortSignal, or its resolver was closed while it waited. */
  | "CANCELLED";

/** The one error class of @netkit/dns. `rcode` is what a server should answer with (FORMERR by default). */
export class DnsError extends Error {
  override readonly name = "DnsError";
  constructor(
    readonly code: DnsErrorCode,
    message: string,
    readonly rcode: number = Rcode.FORMERR,
  ) {
    super(message);
  }
}

/** The error a query cancelled by `signal` fails with, carrying the signal's reason. */
export function cancelledError(signal: AbortSignal): DnsError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  return new DnsError("CANCELLED", `query cancelled: ${reason}`);
}
