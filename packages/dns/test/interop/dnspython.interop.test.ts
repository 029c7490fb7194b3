// Cross-check with a real implementation: Debian's python3-dnspython decodes what we encode to the
// same records, and we decode what it encodes, for every supported type (and unknown types).
import { describe, expect, test } from "bun:test";
import { createResponse } from "../../src/codec/message.ts";
import {
  createQuery,
  decodeMessage,
  encodeMessage,
  RecordType,
  type ResourceRecord,
} from "../../src/index.ts";
import { formatRecord } from "../../src/presentation/format.ts";
import { parseRecord } from "../../src/presentation/parse.ts";
import { SAMPLE_RECORD_LINES, sampleRecords } from "../helpers.ts";
import { PYTHON, run } from "./nsd.ts";

const havePython =
  (await run([PYTHON, "-c", "import dns.message"]).catch(() => ({ code: 1 }))).code === 0;
if (!havePython) {
  if (process.env.CI) throw new Error("python3-dnspython is missing: .ci/run must install it");
  console.warn("!!! SKIPPING dnspython cross-check: /usr/bin/python3 has no dnspython");
}

const PY = `
import sys, json, dns.message, dns.rrset, dns.flags, dns.edns
mode = sys.argv[1]
data = sys.stdin.read()
if mode == "decode":
    m = dns.message.from_wire(bytes.fromhex(data.strip()))
    def lines(section):
        return [l for rrset in section for l in rrset.to_text().split("\\n")]
    print(json.dumps({
        "id": m.id, "flags": m.flags, "rcode": m.rcode(), "opcode": m.opcode(),
        "question": [q.to_text() for q in m.question],
        "answer": lines(m.answer), "authority": lines(m.authority), "additional": lines(m.additional),
        "edns": m.edns, "payload": m.payload, "do": bool(m.ednsflags & dns.flags.DO),
        "options": [[o.otype, o.to_wire().hex()] for o in m.options],
    }))
else:
    m = dns.message.from_text(data)
    m.use_edns(0, dns.flags.DO, 1232, options=[dns.edns.GenericOption(65001, b"\\x01\\x02")])
    print(m.to_wire().hex())
`;

async function python(mode: "decode" | "encode", input: string): Promise<string> {
  const p = Bun.spawn([PYTHON, "-c", PY, mode], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  p.stdin.write(input);
  await p.stdin.end();
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) throw new Error(`dnspython ${mode} failed: ${err}`);
  return out.trim();
}

/** Our canonical text for a dnspython line: parse it with our parser, print with our printer. */
const canonical = (line: string) => formatRecord(parseRecord(line));
const sorted = (records: ResourceRecord[]) => records.map(formatRecord).sort();

describe.skipIf(!havePython)("dnspython cross-check", () => {
  test("dnspython decodes what we encode, every type", async () => {
    const m = createResponse(
      createQuery("example.com.", RecordType.ANY, { id: 0x1234, dnssecOk: true }),
    );
    m.authoritative = true;
    const records = sampleRecords();
    m.answers.push(...records);
    m.authorities.push(records[3] as ResourceRecord);
    m.additionals.push(records[0] as ResourceRecord);
    m.edns?.options.push({ code: 65001, data: Uint8Array.of(9, 8, 7) });
    const out = JSON.parse(await python("decode", Buffer.from(encodeMessage(m)).toString("hex")));
    expect(out.id).toBe(0x1234);
    expect(out.rcode).toBe(0);
    expect(out.flags & 0x8400).toBe(0x8400); // QR AA
    expect(out.question).toEqual(["example.com. IN ANY"]);
    expect((out.answer as string[]).map(canonical).sort()).toEqual(sorted(records));
    expect((out.authority as string[]).map(canonical)).toEqual([
      formatRecord(records[3] as ResourceRecord),
    ]);
    expect((out.additional as string[]).map(canonical)).toEqual([
      formatRecord(records[0] as ResourceRecord),
    ]);
    expect(out).toMatchObject({ edns: 0, payload: 1232, do: true, options: [[65001, "090807"]] });
  });

  test("we decode what dnspython encodes, every type", async () => {
    const text = [
      "id 4660",
      "opcode QUERY",
      "rcode NXDOMAIN",
      "flags QR AA RD",
      ";QUESTION",
      "example.com. IN A",
      ";ANSWER",
      ...SAMPLE_RECORD_LINES,
      ";AUTHORITY",
      SAMPLE_RECORD_LINES[5] as string,
    ].join("\n");
    const wire = Buffer.from(await python("encode", text), "hex");
    const m = decodeMessage(wire);
    expect(m).toMatchObject({
      id: 4660,
      isResponse: true,
      authoritative: true,
      recursionDesired: true,
      rcode: 3,
    });
    expect(m.questions).toEqual([{ name: "example.com.", type: 1, class: 1 }]);
    expect(sorted(m.answers)).toEqual(SAMPLE_RECORD_LINES.map(canonical).sort());
    expect(sorted(m.authorities)).toEqual([canonical(SAMPLE_RECORD_LINES[5] as string)]);
    expect(m.edns).toEqual({
      udpPayloadSize: 1232,
      version: 0,
      dnssecOk: true,
      flags: 0,
      options: [{ code: 65001, data: Uint8Array.of(1, 2) }],
    });
    // And our re-encoding is byte-for-byte what dnspython wrote when compression agrees.
    expect(decodeMessage(encodeMessage(m))).toEqual(m);
  });
});
