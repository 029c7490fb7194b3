import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { Rcode, RecordType } from "../src/constants.ts";
import { answerQuestion, lookupAddress, ZoneSet, zoneLookup } from "../src/server/answer.ts";
import { defaultZone, parseZone } from "../src/zone/load.ts";

const zoneText = readFileSync(`${import.meta.dir}/fixtures/example.test.zone`, "utf8");
const zones = new ZoneSet([parseZone(zoneText, { file: "example.test.zone" }), defaultZone()]);
const { A, AAAA, NS, CNAME, SOA, MX, TXT, DS, ANY } = RecordType;

/** `name type` per record of a section, to compare sets. */
const rrs = (records: { name: string; type: number }[]) =>
  records.map((r) => `${r.name.toLowerCase()} ${r.type}`).sort();
const ask = (name: string, type: number, cls = 1) => answerQuestion(zones, name, type, cls);

describe("answerQuestion", () => {
  test("NOERROR with the records, AA set", () => {
    const a = ask("www.example.test.", A);
    expect([a.rcode, a.authoritative]).toEqual([Rcode.NOERROR, true]);
    expect(a.answers.map((r) => (r.data as { address: string }).address)).toEqual(["192.0.2.3"]);
    expect(a.authorities).toEqual([]);
  });

  test("names match case-insensitively", () => {
    expect(rrs(ask("WwW.ExAmPlE.TeSt.", AAAA).answers)).toEqual(["www.example.test. 28"]);
  });

  test("NXDOMAIN carries the SOA with TTL min(TTL, MINIMUM)", () => {
    const a = ask("nope.example.test.", A);
    expect([a.rcode, a.authoritative, a.answers.length]).toEqual([Rcode.NXDOMAIN, true, 0]);
    expect(rrs(a.authorities)).toEqual(["example.test. 6"]);
    expect(a.authorities[0]?.ttl).toBe(300);
  });

  test("NODATA: NOERROR, empty answer, SOA in authority", () => {
    const a = ask("www.example.test.", MX);
    expect([a.rcode, a.authoritative, a.answers.length]).toEqual([Rcode.NOERROR, true, 0]);
    expect(rrs(a.authorities)).toEqual(["example.test. 6"]);
  });

  test("an empty non-terminal is NODATA, not NXDOMAIN", () => {
    for (const name of ["b.c.example.test.", "c.example.test."]) {
      const a = ask(name, A);
      expect([a.rcode, a.answers.length, rrs(a.authorities)]).toEqual([
        Rcode.NOERROR,
        0,
        ["example.test. 6"],
      ]);
    }
  });

  test("CNAME chased within the zone", () => {
    const a = ask("chain.example.test.", A);
    expect(a.rcode).toBe(Rcode.NOERROR);
    expect(a.answers.map((r) => `${r.name} ${r.type}`)).toEqual([
      "chain.example.test. 5",
      "alias.example.test. 5",
      "www.example.test. 1",
    ]);
  });

  test("CNAME asked for itself is not chased", () => {
    expect(rrs(ask("alias.example.test.", CNAME).answers)).toEqual(["alias.example.test. 5"]);
  });

  test("CNAME to a missing in-zone name: NXDOMAIN with the CNAME and the SOA (RFC 6604)", () => {
    const a = ask("dangling.example.test.", A);
    expect(a.rcode).toBe(Rcode.NXDOMAIN);
    expect(rrs(a.answers)).toEqual(["dangling.example.test. 5"]);
    expect(rrs(a.authorities)).toEqual(["example.test. 6"]);
  });

  test("CNAME leaving the zone: only the CNAME", () => {
    const a = ask("away.example.test.", A);
    expect([a.rcode, rrs(a.answers), a.authorities.length]).toEqual([
      Rcode.NOERROR,
      ["away.example.test. 5"],
      0,
    ]);
  });

  test("wildcard synthesis takes the query name as owner", () => {
    const a = ask("Anything.Wild.example.test.", A);
    expect([a.rcode, a.authoritative]).toEqual([Rcode.NOERROR, true]);
    expect(a.answers.map((r) => r.name)).toEqual(["Anything.Wild.example.test."]);
    expect(rrs(ask("deeper.x.wild.example.test.", TXT).answers)).toEqual([
      "deeper.x.wild.example.test. 16",
    ]);
  });

  test("wildcard NODATA and the closest encloser rule (RFC 4592 §2.2.1)", () => {
    const nodata = ask("x.wild.example.test.", MX);
    expect([nodata.rcode, nodata.answers.length, rrs(nodata.authorities)]).toEqual([
      Rcode.NOERROR,
      0,
      ["example.test. 6"],
    ]);
    // sub.wild exists, so it is the closest encloser of x.sub.wild, and *.sub.wild doesn't exist.
    expect(ask("x.sub.wild.example.test.", A).rcode).toBe(Rcode.NXDOMAIN);
    // An existing name is never covered by the wildcard.
    expect(ask("sub.wild.example.test.", TXT).answers.length).toBe(0);
  });

  test("delegation: referral with NS in authority, glue in additional, AA clear", () => {
    for (const name of [
      "deleg.example.test.",
      "host.deleg.example.test.",
      "ns.deleg.example.test.",
    ]) {
      const a = ask(name, A);
      expect([a.rcode, a.authoritative, a.answers.length]).toEqual([Rcode.NOERROR, false, 0]);
      expect(rrs(a.authorities)).toEqual(["deleg.example.test. 2", "deleg.example.test. 2"]);
      expect(rrs(a.additionals)).toEqual(["ns.deleg.example.test. 1"]);
    }
  });

  test("DS at the cut is answered by the parent side (NODATA here)", () => {
    const a = ask("deleg.example.test.", DS);
    expect([a.rcode, a.authoritative, rrs(a.authorities)]).toEqual([
      Rcode.NOERROR,
      true,
      ["example.test. 6"],
    ]);
  });

  test("apex NS and MX get addresses in additional", () => {
    expect(rrs(ask("example.test.", NS).additionals)).toEqual(["ns1.example.test. 1"]);
    expect(rrs(ask("example.test.", MX).additionals)).toEqual(["mail.example.test. 1"]);
    expect(rrs(ask("example.test.", SOA).answers)).toEqual(["example.test. 6"]);
  });

  test("ANY returns every set at the name", () => {
    expect(rrs(ask("www.example.test.", ANY).answers)).toEqual([
      "www.example.test. 1",
      "www.example.test. 28",
    ]);
  });

  test("REFUSED outside every zone, and for another class", () => {
    for (const a of [
      ask("example.com.", A),
      ask(".", NS),
      ask("test.", SOA),
      ask("www.example.test.", A, 3),
    ]) {
      expect([a.rcode, a.authoritative, a.answers.length]).toEqual([Rcode.REFUSED, false, 0]);
    }
  });

  test("several zones: the longest origin wins", () => {
    expect(ask("bbs.netkit.test.", A).answers[0]?.data).toEqual({ address: "127.0.0.1" });
  });
});

describe("lookupAddress (the name service's table)", () => {
  test("A records, CNAMEs followed, unknown names null", () => {
    expect(lookupAddress(zones, "www.example.test")).toBe("192.0.2.3");
    expect(lookupAddress(zones, "chain.example.test.")).toBe("192.0.2.3");
    expect(lookupAddress(zones, "nope.example.test")).toBeNull();
    expect(lookupAddress(zones, "away.example.test")).toBeNull();
    expect(lookupAddress(zones, "host.deleg.example.test")).toBeNull();
    expect(lookupAddress(zones, "elsewhere.org")).toBeNull();
  });
  test("zoneLookup never throws on junk", () => {
    const lookup = zoneLookup(zones);
    expect(lookup("bbs.netkit.test")).toBe("127.0.0.1");
    expect(lookup("a..b")).toBeNull();
    expect(lookup(`${"x".repeat(70)}.netkit.test`)).toBeNull();
  });
});
