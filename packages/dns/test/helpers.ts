// Small test helpers: hex <-> bytes, a seeded PRNG, and a sample of every record type.
import type { ResourceRecord } from "../src/index.ts";
import { parseRecord } from "../src/presentation/parse.ts";

export function toHexString(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export { hex, prng } from "@netkit/testkit";

/** One record of every supported type (plus unknown types), in presentation form. */
export const SAMPLE_RECORD_LINES = [
  "example.com. 300 IN A 192.0.2.1",
  "example.com. 300 IN AAAA 2001:db8::1",
  "example.com. 300 IN AAAA ::ffff:192.0.2.7",
  "example.com. 86400 IN NS ns1.example.com.",
  "www.example.com. 300 IN CNAME example.com.",
  "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300",
  "1.2.0.192.in-addr.arpa. 300 IN PTR host.example.com.",
  "example.com. 300 IN MX 10 mail.example.com.",
  'example.com. 300 IN TXT "v=spf1 -all" "second string" "quote \\" and backslash \\\\" "\\000\\255"',
  'example.com. 300 IN TXT ""',
  "_sip._tcp.example.com. 300 IN SRV 10 60 5060 sip.example.com.",
  "_sip._udp.example.com. 300 IN SRV 0 0 0 .",
  'example.com. 300 IN CAA 0 issue "letsencrypt.org"',
  'example.com. 300 IN CAA 128 iodef "mailto:security@example.com"',
  "example.com. 300 IN TYPE65280 \\# 4 0A000001",
  "example.com. 300 IN TYPE999 \\# 0",
  "weird\\.label\\032x.example.com. 60 IN A 10.0.0.1",
];

export function sampleRecords(): ResourceRecord[] {
  return SAMPLE_RECORD_LINES.map((l) => parseRecord(l));
}
