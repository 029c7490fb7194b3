// The conformance cases as tables, numbered like the sections of the Autobahn|Testsuite (1 framing,
// 2 ping/pong, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close, 9 limits). Each case
// is the raw bytes a client sends and the exact frames and close code the echo server must answer.
import { clientFrame, closeFrame } from "./raw-client.ts";

export interface Expected {
  opcode: number;
  payload: Uint8Array;
}

export interface Case {
  id: string;
  title: string;
  send: Uint8Array[];
  /** Data and control frames the server sends before its close frame, in order. */
  expect: Expected[];
  /** The code of the server's close frame (1005: an empty one). */
  close: number;
  /** Write the bytes in pieces of this size, yielding between them. */
  chunk?: number;
}

const enc = (text: string) => new TextEncoder().encode(text);
const fill = (n: number, seed = 0) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const textOf = (n: number) => enc("*".repeat(n));
const TEXT = 0x1;
const BINARY = 0x2;
const PING = 0x9;
const PONG = 0xa;
const CLOSE = 0x8;
const bye = closeFrame(1000);

/** A message sent whole, echoed whole, then a clean close. */
function echo(
  id: string,
  title: string,
  opcode: number,
  payload: Uint8Array,
  chunk?: number,
): Case {
  const c: Case = {
    id,
    title,
    send: [clientFrame(opcode, payload), bye],
    expect: [{ opcode, payload }],
    close: 1000,
  };
  if (chunk !== undefined) c.chunk = chunk;
  return c;
}

/** `send` must fail the connection with `close`, after answering `expect`. */
const refuse = (
  id: string,
  title: string,
  send: Uint8Array[],
  close: number,
  expect: Expected[] = [],
): Case => ({
  id,
  title,
  send: [...send, bye],
  expect,
  close,
});

function split(payload: Uint8Array, pieces: number): Uint8Array[] {
  const size = Math.ceil(payload.length / pieces);
  const out: Uint8Array[] = [];
  for (let i = 0; i < pieces; i++)
    out.push(payload.subarray(i * size, Math.min(payload.length, (i + 1) * size)));
  return out;
}

function fragmented(opcode: number, parts: Uint8Array[], between?: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  parts.forEach((part, i) => {
    const fin = i === parts.length - 1;
    frames.push(clientFrame(i === 0 ? opcode : 0x0, part, { fin }));
    if (between && !fin) frames.push(between);
  });
  return frames;
}

// ---- 1 framing --------------------------------------------------------------------------------
const LENGTHS = [0, 1, 125, 126, 127, 128, 1000, 65535, 65536, 100_000];
export const framing: Case[] = [];
for (const [k, opcode] of [TEXT, BINARY].entries()) {
  for (const [i, n] of LENGTHS.entries()) {
    const payload = opcode === TEXT ? textOf(n) : fill(n, i);
    const kind = opcode === TEXT ? "text" : "binary";
    framing.push(echo(`1.${k + 1}.${i + 1}`, `${kind} message of ${n} bytes`, opcode, payload));
    if (n <= 1000)
      framing.push(
        echo(
          `1.${k + 1}.${i + 1}.a`,
          `${kind} of ${n} bytes, written 1 byte at a time`,
          opcode,
          payload,
          1,
        ),
      );
    framing.push(
      echo(
        `1.${k + 1}.${i + 1}.b`,
        `${kind} of ${n} bytes, written in 997-byte pieces`,
        opcode,
        payload,
        997,
      ),
    );
  }
}
framing.push({
  id: "1.3.1",
  title: "100 small messages in one write",
  send: [...Array.from({ length: 100 }, (_, i) => clientFrame(TEXT, `m${i}`)), bye],
  expect: Array.from({ length: 100 }, (_, i) => ({ opcode: TEXT, payload: enc(`m${i}`) })),
  close: 1000,
});
framing.push(
  refuse("1.4.1", "an unmasked client frame", [clientFrame(TEXT, "hi", { mask: false })], 1002),
);
framing.push(
  refuse(
    "1.4.2",
    "an unmasked empty client frame",
    [clientFrame(BINARY, "", { mask: false })],
    1002,
  ),
);
framing.push(refuse("1.4.3", "an unmasked ping", [clientFrame(PING, "", { mask: false })], 1002));

// ---- 2 ping/pong ------------------------------------------------------------------------------
export const pingPong: Case[] = [];
for (const [i, n] of [0, 1, 10, 64, 124, 125].entries()) {
  const payload = fill(n, 7);
  const pong = { opcode: PONG, payload };
  pingPong.push({
    id: `2.${i + 1}`,
    title: `ping of ${n} bytes gets the same pong`,
    send: [clientFrame(PING, payload), bye],
    expect: [pong],
    close: 1000,
  });
  pingPong.push({
    id: `2.${i + 1}.a`,
    title: `ping of ${n} bytes, 1 byte a write`,
    send: [clientFrame(PING, payload), bye],
    expect: [pong],
    close: 1000,
    chunk: 1,
  });
}
pingPong.push(
  refuse(
    "2.7",
    "ping of 126 bytes (control frames are at most 125)",
    [clientFrame(PING, fill(126))],
    1002,
  ),
);
pingPong.push(
  refuse(
    "2.8",
    "ping with a 16-bit length (126), payload never sent",
    [clientFrame(PING, fill(126)).subarray(0, 4)],
    1002,
  ),
);
pingPong.push(refuse("2.9", "pong of 126 bytes", [clientFrame(PONG, fill(126))], 1002));
pingPong.push({
  id: "2.10",
  title: "unsolicited pong is ignored",
  send: [clientFrame(PONG, "x"), bye],
  expect: [],
  close: 1000,
});
pingPong.push({
  id: "2.11",
  title: "unsolicited pong, then a ping",
  send: [clientFrame(PONG, "x"), clientFrame(PING, "y"), bye],
  expect: [{ opcode: PONG, payload: enc("y") }],
  close: 1000,
});
pingPong.push({
  id: "2.12",
  title: "10 pings get 10 pongs in order",
  send: [...Array.from({ length: 10 }, (_, i) => clientFrame(PING, `p${i}`)), bye],
  expect: Array.from({ length: 10 }, (_, i) => ({ opcode: PONG, payload: enc(`p${i}`) })),
  close: 1000,
});
pingPong.push({
  id: "2.13",
  title: "ping with a UTF-8 text payload",
  send: [clientFrame(PING, "héllo ✓"), bye],
  expect: [{ opcode: PONG, payload: enc("héllo ✓") }],
  close: 1000,
});

// ---- 3 reserved bits ---------------------------------------------------------------------------
export const reservedBits: Case[] = [];
const OPCODE_NAMES: [number, string][] = [
  [TEXT, "text"],
  [BINARY, "binary"],
  [PING, "ping"],
  [PONG, "pong"],
  [CLOSE, "close"],
];
for (let rsv = 1; rsv <= 7; rsv++) {
  for (const [j, [opcode, name]] of OPCODE_NAMES.entries()) {
    reservedBits.push(
      refuse(
        `3.${rsv}.${j + 1}`,
        `RSV=${rsv} on a ${name} frame`,
        [clientFrame(opcode, opcode === CLOSE ? "" : "x", { rsv })],
        1002,
      ),
    );
  }
  reservedBits.push(
    refuse(
      `3.${rsv}.6`,
      `a good message, then RSV=${rsv}, then a ping`,
      [clientFrame(TEXT, "ok"), clientFrame(TEXT, "x", { rsv }), clientFrame(PING, "z")],
      1002,
      [{ opcode: TEXT, payload: enc("ok") }],
    ),
  );
  reservedBits.push(
    refuse(
      `3.${rsv}.7`,
      `RSV=${rsv} on a continuation frame`,
      [clientFrame(TEXT, "a", { fin: false }), clientFrame(0, "b", { rsv })],
      1002,
    ),
  );
}

// ---- 4 opcodes ---------------------------------------------------------------------------------
export const opcodes: Case[] = [];
for (const [i, opcode] of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].entries()) {
  const hex = `0x${opcode.toString(16)}`;
  opcodes.push(
    refuse(`4.${i + 1}.1`, `reserved opcode ${hex}, empty`, [clientFrame(opcode)], 1002),
  );
  opcodes.push(
    refuse(
      `4.${i + 1}.2`,
      `reserved opcode ${hex} with a payload`,
      [clientFrame(opcode, "reserved")],
      1002,
    ),
  );
  opcodes.push(
    refuse(
      `4.${i + 1}.3`,
      `a good message, then opcode ${hex}, then a ping`,
      [clientFrame(TEXT, "ok"), clientFrame(opcode, "x"), clientFrame(PING, "p")],
      1002,
      [{ opcode: TEXT, payload: enc("ok") }],
    ),
  );
}

// ---- 5 fragmentation ---------------------------------------------------------------------------
export const fragmentation: Case[] = [];
for (const [k, opcode] of [TEXT, BINARY].entries()) {
  const name = opcode === TEXT ? "text" : "binary";
  for (const [i, pieces] of [1, 2, 3, 10, 100].entries()) {
    for (const [j, n] of [100, 5000].entries()) {
      const payload = opcode === TEXT ? textOf(n) : fill(n, pieces);
      const id = `5.${k + 1}.${i + 1}.${j + 1}`;
      fragmentation.push({
        id,
        title: `${name} of ${n} bytes in ${pieces} fragments`,
        send: [...fragmented(opcode, split(payload, pieces)), bye],
        expect: [{ opcode, payload }],
        close: 1000,
      });
      fragmentation.push({
        id: `${id}.p`,
        title: `${name} of ${n} bytes in ${pieces} fragments, a ping after each`,
        send: [...fragmented(opcode, split(payload, pieces), clientFrame(PING, "i")), bye],
        expect: [
          ...Array.from({ length: pieces - 1 }, () => ({ opcode: PONG, payload: enc("i") })),
          { opcode, payload },
        ],
        close: 1000,
      });
    }
  }
}
fragmentation.push(
  {
    id: "5.3.1",
    title: "empty fragments around the payload",
    send: [
      clientFrame(TEXT, "", { fin: false }),
      clientFrame(0, "ab", { fin: false }),
      clientFrame(0, "", { fin: true }),
      bye,
    ],
    expect: [{ opcode: TEXT, payload: enc("ab") }],
    close: 1000,
  },
  {
    id: "5.3.2",
    title: "fragments 1 byte a write with a pong between",
    send: [...fragmented(TEXT, split(enc("fragmented"), 5), clientFrame(PONG, "u")), bye],
    expect: [{ opcode: TEXT, payload: enc("fragmented") }],
    close: 1000,
    chunk: 1,
  },
  refuse(
    "5.4.1",
    "a fragmented ping",
    [clientFrame(PING, "a", { fin: false }), clientFrame(0, "b")],
    1002,
  ),
  refuse(
    "5.4.2",
    "a fragmented pong",
    [clientFrame(PONG, "a", { fin: false }), clientFrame(0, "b")],
    1002,
  ),
  refuse(
    "5.4.3",
    "a fragmented close",
    [clientFrame(CLOSE, Uint8Array.of(3, 232), { fin: false }), clientFrame(0, "")],
    1002,
  ),
  refuse("5.5.1", "a continuation with no message", [clientFrame(0, "x")], 1002),
  refuse(
    "5.5.2",
    "a final continuation with no message",
    [clientFrame(0, "x", { fin: true })],
    1002,
  ),
  refuse(
    "5.5.3",
    "a non-final continuation with no message",
    [clientFrame(0, "x", { fin: false })],
    1002,
  ),
  refuse(
    "5.5.4",
    "a continuation after a whole message",
    [clientFrame(TEXT, "a"), clientFrame(0, "b")],
    1002,
    [{ opcode: TEXT, payload: enc("a") }],
  ),
  refuse(
    "5.6.1",
    "a new text message inside a fragmented one",
    [clientFrame(TEXT, "a", { fin: false }), clientFrame(TEXT, "b")],
    1002,
  ),
  refuse(
    "5.6.2",
    "a new binary message inside a fragmented one",
    [clientFrame(BINARY, "a", { fin: false }), clientFrame(BINARY, "b")],
    1002,
  ),
  refuse(
    "5.6.3",
    "text started, binary started",
    [clientFrame(TEXT, "a", { fin: false }), clientFrame(BINARY, "b", { fin: false })],
    1002,
  ),
);

// ---- 6 UTF-8 -----------------------------------------------------------------------------------
const VALID_UTF8: [string, number[]][] = [
  ["empty", []],
  ["ASCII", [...enc("Hello, World!")]],
  ["two-byte é", [0xc3, 0xa9]],
  ["lowest two-byte U+0080", [0xc2, 0x80]],
  ["highest two-byte U+07FF", [0xdf, 0xbf]],
  ["lowest three-byte U+0800", [0xe0, 0xa0, 0x80]],
  ["U+D7FF, below the surrogates", [0xed, 0x9f, 0xbf]],
  ["U+E000, above the surrogates", [0xee, 0x80, 0x80]],
  ["U+FFFD", [0xef, 0xbf, 0xbd]],
  ["U+FFFF", [0xef, 0xbf, 0xbf]],
  ["lowest four-byte U+10000", [0xf0, 0x90, 0x80, 0x80]],
  ["highest code point U+10FFFF", [0xf4, 0x8f, 0xbf, 0xbf]],
  ["Greek κόσμε", [...enc("κόσμε")]],
  ["Hangul", [...enc("안녕하세요")]],
  ["emoji with ZWJ", [...enc("👩‍💻")]],
  ["mixed scripts", [...enc("abc αβγ 日本語 😀 ∑ ✓")]],
  ["NUL and DEL", [0x00, 0x7f]],
  ["BOM", [0xef, 0xbb, 0xbf, 0x41]],
];
const INVALID_UTF8: [string, number[]][] = [
  ["lone continuation 0x80", [0x80]],
  ["lone continuation 0xBF", [0xbf]],
  ["overlong / ASCII C0 AF", [0xc0, 0xaf]],
  ["overlong C1 BF", [0xc1, 0xbf]],
  ["overlong three-byte E0 80 AF", [0xe0, 0x80, 0xaf]],
  ["overlong three-byte E0 9F BF", [0xe0, 0x9f, 0xbf]],
  ["overlong four-byte F0 80 80 AF", [0xf0, 0x80, 0x80, 0xaf]],
  ["overlong four-byte F0 8F BF BF", [0xf0, 0x8f, 0xbf, 0xbf]],
  ["surrogate U+D800", [0xed, 0xa0, 0x80]],
  ["surrogate U+DBFF", [0xed, 0xaf, 0xbf]],
  ["surrogate U+DC00", [0xed, 0xb0, 0x80]],
  ["surrogate U+DFFF", [0xed, 0xbf, 0xbf]],
  ["surrogate pair in CESU-8", [0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80]],
  ["U+110000", [0xf4, 0x90, 0x80, 0x80]],
  ["F5 lead", [0xf5, 0x80, 0x80, 0x80]],
  ["F8 five-byte lead", [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ["FC six-byte lead", [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80]],
  ["FE", [0xfe]],
  ["FF", [0xff]],
  ["truncated two-byte at the end", [0x41, 0xc3]],
  ["truncated three-byte at the end", [0x41, 0xe2, 0x82]],
  ["truncated four-byte at the end", [0x41, 0xf0, 0x9f, 0x98]],
  ["lead then ASCII", [0xc3, 0x41]],
  ["three-byte lead then ASCII", [0xe2, 0x82, 0x41]],
  [
    "κόσμε with a bad byte inside",
    [
      0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65,
      0x64, 0x69, 0x74, 0x65, 0x64,
    ],
  ],
  ["two continuation bytes", [0x80, 0xbf]],
  ["a valid char, then a stray continuation", [0xc3, 0xa9, 0xa9]],
];
export const utf8: Case[] = [];
for (const [i, [name, bytes]] of VALID_UTF8.entries()) {
  const payload = Uint8Array.from(bytes);
  utf8.push(echo(`6.1.${i + 1}`, `valid: ${name}`, TEXT, payload));
  utf8.push({
    id: `6.1.${i + 1}.f`,
    title: `valid: ${name}, one fragment per byte`,
    send: [...fragmented(TEXT, bytes.length ? bytes.map((b) => Uint8Array.of(b)) : [payload]), bye],
    expect: [{ opcode: TEXT, payload }],
    close: 1000,
  });
  utf8.push({
    id: `6.1.${i + 1}.c`,
    title: `valid: ${name}, 1 byte a write`,
    send: [clientFrame(TEXT, payload), bye],
    expect: [{ opcode: TEXT, payload }],
    close: 1000,
    chunk: 1,
  });
}
for (const [i, [name, bytes]] of INVALID_UTF8.entries()) {
  const payload = Uint8Array.from(bytes);
  utf8.push(refuse(`6.2.${i + 1}`, `invalid: ${name}`, [clientFrame(TEXT, payload)], 1007));
  utf8.push(
    refuse(
      `6.2.${i + 1}.f`,
      `invalid: ${name}, one fragment per byte`,
      fragmented(
        TEXT,
        bytes.map((b) => Uint8Array.of(b)),
      ),
      1007,
    ),
  );
  utf8.push(
    refuse(
      `6.2.${i + 1}.s`,
      `invalid: ${name}, split across two fragments`,
      fragmented(
        TEXT,
        split(payload, 2).filter((p, k) => k === 0 || p.length > 0),
      ),
      1007,
    ),
  );
}
// Fail fast: the bad byte arrives, the rest of the frame never does; the close must come anyway.
for (const [i, [name, bytes]] of INVALID_UTF8.slice(0, 19).entries()) {
  const whole = clientFrame(TEXT, new Uint8Array([...bytes, ...new Array(200).fill(0x41)]));
  const headerBytes = 8; // 2 + 2 (126: 16-bit length) + 4 mask
  utf8.push({
    id: `6.3.${i + 1}`,
    title: `fail fast: ${name}, then the frame stalls`,
    send: [whole.subarray(0, headerBytes + bytes.length)],
    expect: [],
    close: 1007,
  });
}

// ---- 7 close -----------------------------------------------------------------------------------
export const closing: Case[] = [];
for (const [i, code] of [
  1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
].entries()) {
  closing.push({
    id: `7.7.${i + 1}`,
    title: `close ${code} is echoed`,
    send: [closeFrame(code)],
    expect: [],
    close: code,
  });
}
for (const [i, code] of [
  0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
].entries()) {
  closing.push({
    id: `7.9.${i + 1}`,
    title: `close ${code} may not be sent: 1002`,
    send: [closeFrame(code)],
    expect: [],
    close: 1002,
  });
}
closing.push(
  {
    id: "7.1.1",
    title: "close without a body gets an empty close",
    send: [closeFrame()],
    expect: [],
    close: 1005,
  },
  {
    id: "7.1.2",
    title: "a message after the close is ignored",
    send: [closeFrame(1000), clientFrame(TEXT, "late")],
    expect: [],
    close: 1000,
  },
  {
    id: "7.1.3",
    title: "a ping after the close is ignored",
    send: [closeFrame(1000), clientFrame(PING, "late")],
    expect: [],
    close: 1000,
  },
  {
    id: "7.1.4",
    title: "a message, then close",
    send: [clientFrame(TEXT, "a"), closeFrame(1000)],
    expect: [{ opcode: TEXT, payload: enc("a") }],
    close: 1000,
  },
  {
    id: "7.1.5",
    title: "close in the middle of a fragmented message",
    send: [clientFrame(TEXT, "a", { fin: false }), closeFrame(1000)],
    expect: [],
    close: 1000,
  },
  {
    id: "7.3.1",
    title: "close with a 1-byte body",
    send: [clientFrame(CLOSE, Uint8Array.of(3))],
    expect: [],
    close: 1002,
  },
  {
    id: "7.3.2",
    title: "close 1000 with a reason",
    send: [closeFrame(1000, "goodbye")],
    expect: [],
    close: 1000,
  },
  {
    id: "7.3.3",
    title: "close with a 123-byte reason",
    send: [closeFrame(1000, "r".repeat(123))],
    expect: [],
    close: 1000,
  },
  {
    id: "7.3.4",
    title: "close with a 124-byte reason (126-byte control frame)",
    send: [closeFrame(1000, "r".repeat(124))],
    expect: [],
    close: 1002,
  },
  {
    id: "7.3.5",
    title: "close with a UTF-8 reason",
    send: [closeFrame(1000, "Tschüß ✓")],
    expect: [],
    close: 1000,
  },
  {
    id: "7.3.6",
    title: "close with an invalid UTF-8 reason",
    send: [closeFrame(1000, Uint8Array.of(0xce, 0xba, 0xed, 0xa0, 0x80))],
    expect: [],
    close: 1007,
  },
  {
    id: "7.3.7",
    title: "close with a truncated UTF-8 reason",
    send: [closeFrame(1000, Uint8Array.of(0x41, 0xe2, 0x82))],
    expect: [],
    close: 1007,
  },
);

/** Section 9 runs against a server with small limits: 16 KiB frames, 64 KiB messages, 8 fragments. */
export const LIMITS = { maxFrameBytes: 16 * 1024, maxMessageBytes: 64 * 1024, maxFragments: 8 };
export const limits: Case[] = [
  echo("9.1.1", "a frame of exactly maxFrameBytes", BINARY, fill(16 * 1024)),
  refuse(
    "9.1.2",
    "a frame of maxFrameBytes + 1: refused on the header alone",
    [clientFrame(BINARY, fill(16 * 1024 + 1)).subarray(0, 8)],
    1009,
  ),
  refuse(
    "9.1.3",
    "a text frame of 1 MiB: refused on the header alone",
    [clientFrame(TEXT, "", { length: 1n << 20n }).subarray(0, 14)],
    1009,
  ),
  refuse(
    "9.1.4",
    "a frame claiming 2^32 bytes",
    [clientFrame(BINARY, "", { length: 1n << 32n })],
    1009,
  ),
  refuse(
    "9.1.5",
    "a frame claiming 2^53 bytes",
    [clientFrame(BINARY, "", { length: 1n << 53n })],
    1009,
  ),
  refuse(
    "9.1.6",
    "a frame claiming 2^63 bytes (high bit set)",
    [clientFrame(BINARY, "", { length: 1n << 63n })],
    1002,
  ),
  refuse(
    "9.1.7",
    "a frame claiming 2^64 - 1 bytes",
    [clientFrame(BINARY, "", { length: (1n << 64n) - 1n })],
    1002,
  ),
  {
    id: "9.2.1",
    title: "a message of exactly maxMessageBytes in 4 fragments",
    send: [...fragmented(BINARY, split(fill(64 * 1024), 4)), bye],
    expect: [{ opcode: BINARY, payload: fill(64 * 1024) }],
    close: 1000,
  },
  refuse(
    "9.2.2",
    "a message of maxMessageBytes + 1 in 5 fragments",
    fragmented(BINARY, [...split(fill(64 * 1024), 4), Uint8Array.of(1)]),
    1009,
  ),
  {
    id: "9.3.1",
    title: "a message of maxFragments fragments",
    send: [...fragmented(TEXT, split(textOf(80), 8)), bye],
    expect: [{ opcode: TEXT, payload: textOf(80) }],
    close: 1000,
  },
  refuse(
    "9.3.2",
    "a message of maxFragments + 1 fragments",
    fragmented(TEXT, split(textOf(90), 9)),
    1009,
  ),
  refuse(
    "9.3.3",
    "endless empty continuation frames",
    [
      clientFrame(TEXT, "", { fin: false }),
      ...Array.from({ length: 20 }, () => clientFrame(0, "", { fin: false })),
    ],
    1009,
  ),
  {
    id: "9.3.4",
    title: "pings between fragments do not count as fragments",
    send: [...fragmented(TEXT, split(textOf(80), 8), clientFrame(PING, "")), bye],
    expect: [
      ...Array.from({ length: 7 }, () => ({ opcode: PONG, payload: new Uint8Array(0) })),
      { opcode: TEXT, payload: textOf(80) },
    ],
    close: 1000,
  },
];
