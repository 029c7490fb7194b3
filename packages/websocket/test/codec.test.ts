// The pure codec alone: every split point of a stream, the handshake, negotiation, SHA-1, UTF-8.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  acceptDeflateOffer,
  acceptKey,
  decodeClosePayload,
  encodeClosePayload,
  encodeFrame,
  FrameOpcode,
  type Incoming,
  isValidUtf8,
  negotiateUpgrade,
  parseExtensions,
  readDeflateResponse,
  sha1,
  Utf8Validator,
  WebSocketDecoder,
} from "../src/codec.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const mask = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

describe("WebSocketDecoder", () => {
  // RFC 6455 §5.7's examples.
  test("decodes the RFC's masked 'Hello' and a fragmented unmasked one", () => {
    const server = new WebSocketDecoder({ role: "server" });
    expect(
      server.push(Uint8Array.of(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58)),
    ).toEqual([{ type: "text", data: "Hello" }]);
    const client = new WebSocketDecoder({ role: "client" });
    expect(
      client.push(Uint8Array.of(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f)),
    ).toEqual([{ type: "text", data: "Hello" }]);
    expect(encodeFrame(FrameOpcode.TEXT, enc("Hello"), { mask })).toEqual(
      Uint8Array.of(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
    );
  });

  test("every split point of a mixed stream gives the same events", () => {
    const stream = new Uint8Array([
      ...encodeFrame(FrameOpcode.TEXT, enc("κόσμε "), { mask, fin: false }),
      ...encodeFrame(FrameOpcode.PING, enc("p"), { mask }),
      ...encodeFrame(FrameOpcode.CONTINUATION, enc("done"), { mask }),
      ...encodeFrame(FrameOpcode.BINARY, new Uint8Array(300).fill(7), { mask }),
      ...encodeFrame(FrameOpcode.BINARY, new Uint8Array(70_000).fill(9), { mask }),
      ...encodeFrame(FrameOpcode.CLOSE, encodeClosePayload(1000, "bye"), { mask }),
    ]);
    const whole = new WebSocketDecoder({ role: "server" }).push(stream);
    expect(whole.map((e) => e.type)).toEqual(["ping", "text", "binary", "binary", "close"]);
    for (let cut = 1; cut < stream.length; cut += cut < 400 ? 1 : 997) {
      const decoder = new WebSocketDecoder({ role: "server" });
      const events: Incoming[] = [
        ...decoder.push(stream.subarray(0, cut)),
        ...decoder.push(stream.subarray(cut)),
      ];
      expect(events).toEqual(whole);
    }
  });

  test("refuses an over-limit length on the header, before any payload", () => {
    const decoder = new WebSocketDecoder({ role: "server", maxFrameBytes: 1000 });
    decoder.push(encodeFrame(FrameOpcode.BINARY, new Uint8Array(1001), { mask }).subarray(0, 4));
    expect(decoder.failure?.code).toBe("FRAME_TOO_LARGE");
    expect(decoder.failure?.closeCode).toBe(1009);
  });

  test("fails on the first bad UTF-8 byte, before the frame ends", () => {
    const decoder = new WebSocketDecoder({ role: "server" });
    const frame = encodeFrame(FrameOpcode.TEXT, Uint8Array.of(0x61, 0xc0, 0x61, 0x61), { mask });
    decoder.push(frame.subarray(0, 8));
    expect(decoder.failure?.closeCode).toBe(1007);
  });

  test("decodes nothing after a close frame", () => {
    const decoder = new WebSocketDecoder({ role: "client" });
    const events = decoder.push(
      new Uint8Array([
        ...encodeFrame(FrameOpcode.CLOSE, new Uint8Array(0)),
        ...encodeFrame(FrameOpcode.TEXT, enc("x")),
      ]),
    );
    expect(events).toEqual([{ type: "close", code: 1005, reason: "" }]);
  });
});

describe("close payloads", () => {
  test.each([
    [Uint8Array.of(0x03), "BAD_CLOSE_PAYLOAD", 1002],
    [Uint8Array.of(0x03, 0xee), "BAD_CLOSE_CODE", 1002], // 1006
    [Uint8Array.of(0x03, 0xe8, 0xff), "INVALID_UTF8", 1007],
  ])("refuses %p", (payload, code, closeCode) => {
    expect(() => decodeClosePayload(payload)).toThrow(expect.objectContaining({ code, closeCode }));
  });
  test("round trip, and what may not be sent", () => {
    expect(decodeClosePayload(encodeClosePayload(4001, "ok ✓"))).toEqual({
      code: 4001,
      reason: "ok ✓",
    });
    expect(() => encodeClosePayload(1005)).not.toThrow();
    expect(() => encodeClosePayload(1006)).toThrow(RangeError);
    expect(() => encodeClosePayload(1000, "x".repeat(124))).toThrow(RangeError);
  });
});

describe("UTF-8 validator", () => {
  test("agrees with a fatal TextDecoder on every 1-, 2- and 3-byte sequence from a sample", () => {
    const fatal = new TextDecoder("utf-8", { fatal: true });
    const ok = (b: Uint8Array) => {
      try {
        fatal.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    const leads = [
      0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef,
      0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
    ];
    const tails = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff];
    for (const a of leads) {
      for (const b of tails) {
        for (const c of [undefined, ...tails]) {
          const bytes = Uint8Array.from(c === undefined ? [a, b] : [a, b, c]);
          expect({ bytes: [...bytes], valid: isValidUtf8(bytes) }).toEqual({
            bytes: [...bytes],
            valid: ok(bytes),
          });
        }
      }
    }
  });
  test("a character split across pieces", () => {
    const v = new Utf8Validator();
    expect(v.push(Uint8Array.of(0xf0, 0x9f))).toBe(-1);
    expect(v.isComplete).toBe(false);
    expect(v.push(Uint8Array.of(0x98, 0x80))).toBe(-1);
    expect(v.isComplete).toBe(true);
  });
});

describe("handshake", () => {
  test("acceptKey is the RFC's example; sha1 matches node:crypto", () => {
    expect(acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    for (const n of [0, 1, 55, 56, 63, 64, 65, 1000]) {
      const data = crypto.getRandomValues(new Uint8Array(n));
      expect(Buffer.from(sha1(data)).toString("hex")).toBe(
        createHash("sha1").update(data).digest("hex"),
      );
    }
  });

  const good: [string, string][] = [
    ["Host", "example.com"],
    ["Upgrade", "WebSocket"],
    ["Connection", "keep-alive, Upgrade"],
    ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
    ["Sec-WebSocket-Version", "13"],
    ["Sec-WebSocket-Protocol", "chat, superchat"],
  ];
  const without = (name: string) => good.filter(([k]) => k !== name);
  test("accepts the RFC's request and picks a subprotocol", () => {
    const decision = negotiateUpgrade(
      { method: "GET", versionMinor: 1, headers: good },
      { protocols: ["superchat"] },
    );
    expect(decision.ok && decision.response).toBe(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: superchat\r\n\r\n",
    );
  });
  test.each([
    ["POST", 1, good, 405],
    ["GET", 0, good, 400],
    ["GET", 1, without("Host"), 400],
    ["GET", 1, without("Upgrade"), 426],
    ["GET", 1, without("Connection"), 400],
    ["GET", 1, [...without("Sec-WebSocket-Version"), ["Sec-WebSocket-Version", "8"]], 426],
    ["GET", 1, without("Sec-WebSocket-Version"), 426],
    ["GET", 1, without("Sec-WebSocket-Key"), 400],
    ["GET", 1, [...without("Sec-WebSocket-Key"), ["Sec-WebSocket-Key", "c2hvcnQ="]], 400],
  ] as const)("refuses %s HTTP/1.%d (%#) with %d", (method, versionMinor, headers, status) => {
    const decision = negotiateUpgrade({
      method,
      versionMinor,
      headers: headers as [string, string][],
    });
    expect(decision.ok ? 101 : decision.status).toBe(status);
    if (!decision.ok && status === 426 && decision.message.includes("Version")) {
      expect(decision.response).toContain("\r\nSec-WebSocket-Version: 13\r\n");
    }
  });
  test("the Origin hook refuses with 403", () => {
    const decision = negotiateUpgrade(
      { method: "GET", versionMinor: 1, headers: [...good, ["Origin", "https://evil.example"]] },
      { checkOrigin: (origin) => origin === "https://good.example" },
    );
    expect(decision.ok ? 101 : decision.status).toBe(403);
  });
});

describe("permessage-deflate negotiation", () => {
  const offer = (header: string) => parseExtensions([header]) ?? [];
  test.each([
    ["permessage-deflate", "permessage-deflate"],
    ["permessage-deflate; client_max_window_bits", "permessage-deflate"],
    [
      "permessage-deflate; server_max_window_bits=10",
      "permessage-deflate; server_max_window_bits=10",
    ],
    [
      'permessage-deflate; server_max_window_bits="12"',
      "permessage-deflate; server_max_window_bits=12",
    ],
    ["permessage-deflate; server_max_window_bits=16, permessage-deflate", "permessage-deflate"],
    ["permessage-deflate; server_max_window_bits", undefined],
    ["permessage-deflate; client_no_context_takeover; client_no_context_takeover", undefined],
    ["permessage-deflate; unknown=1", undefined],
    ["x-webkit-deflate-frame", undefined],
  ])("%s → %s", (header, answer) => {
    const accepted = acceptDeflateOffer(offer(header));
    expect(
      accepted &&
        [
          accepted.response.name,
          ...accepted.response.params.map(([k, v]) => (v === true ? k : `${k}=${v}`)),
        ].join("; "),
    ).toBe(answer as string);
  });
  test("the client refuses answers it did not allow", () => {
    const answer = (header: string) =>
      offer(header)[0]
        ? readDeflateResponse(offer(header)[0]!, { serverMaxWindowBits: 10 })
        : undefined;
    expect(answer("permessage-deflate; server_max_window_bits=9")?.serverMaxWindowBits).toBe(9);
    expect(answer("permessage-deflate")).toBeUndefined(); // we asked for at most 10
    expect(
      answer("permessage-deflate; server_max_window_bits=9; client_max_window_bits"),
    ).toBeUndefined();
  });
  test("a malformed header", () => {
    expect(parseExtensions(['permessage-deflate; a="unterminated'])).toBeUndefined();
    expect(parseExtensions(["permessage-deflate;; ,"])).toBeUndefined();
  });
});
