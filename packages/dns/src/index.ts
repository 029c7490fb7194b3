// @netkit/dns public surface: named exports grouped by topic.

export {
  formatIPv4,
  formatIPv6,
  isIPv4,
  isIPv6,
  parseIPv4,
  parseIPv6,
  reverseName,
} from "./codec/address.ts";
// codec: messages
export {
  createQuery,
  createResponse,
  decodeMessage,
  type EncodeOptions,
  encodeMessage,
  isRecordType,
  type QueryOptions,
  randomId,
} from "./codec/message.ts";
// codec: names and addresses
export {
  absoluteName,
  compareNames,
  isAbsolute,
  isSubdomain,
  labelCount,
  labelsToName,
  namesEqual,
  nameToLabels,
  normalizeName,
} from "./codec/name.ts";
// codec: types
export type {
  AaaaData,
  AData,
  CaaData,
  Edns,
  EdnsOption,
  Message,
  MxData,
  OptData,
  Question,
  RecordDataMap,
  ResourceRecord,
  SoaData,
  SrvData,
  TargetData,
  TxtData,
  TypedRecord,
  TypedRecordName,
  UnknownRecord,
} from "./codec/types.ts";
// wire numbers and limits
export {
  CLASSIC_UDP_BYTES,
  classFromName,
  className,
  DEFAULT_EDNS_UDP_BYTES,
  HEADER_BYTES,
  type KnownRecordType,
  MAX_CHARACTER_STRING_BYTES,
  MAX_COMPRESSION_POINTERS,
  MAX_LABEL_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_NAME_BYTES,
  Opcode,
  type OpcodeName,
  opcodeName,
  Rcode,
  type RcodeName,
  RecordClass,
  type RecordClassName,
  RecordType,
  type RecordTypeName,
  rcodeName,
  typeFromName,
  typeName,
} from "./constants.ts";
// errors
export { DnsError, type DnsErrorCode } from "./errors.ts";
