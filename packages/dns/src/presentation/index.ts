// @netkit/dns/presentation: records as zone-file / dig text and back (RFC 1035 §5.1, RFC 3597 §5),
// pure like @netkit/dns/codec (no I/O, nothing from Bun).
export {
  formatCharacterString,
  formatGenericRdata,
  formatQuestion,
  formatRdata,
  formatRecord,
  toHex,
} from "./format.ts";
export {
  parseRdata,
  parseRecord,
  parseTtl,
  type RdataField,
  type RdataToken,
  tokenizePresentation,
  unescapeString,
} from "./parse.ts";
