// Test helpers for the server: raw UDP and TCP DNS clients on loopback.
import { expect } from "bun:test";
import { readFileSync } from "node:fs";
import { rawFramedClient } from "@netkit/testkit";
import {
  createQuery,
  decodeMessage,
  encodeMessage,
  type QueryOptions,
} from "../src/codec/message.ts";
import type { Message } from "../src/codec/types.ts";
import { defaultZone, parseZone } from "../src/zone/load.ts";
import type { Zone } from "../src/zone/zone.ts";

export const FIXTURE_ZONE = `${import.meta.dir}/fixtures/example.test.zone`;

export function fixtureZones(): Zone[] {
  return [parseZone(readFileSync(FIXTURE_ZONE, "utf8"), { file: FIXTURE_ZONE }), defaultZone()];
}

/**
 * Sends one datagram and waits up to `timeoutMs` for one reply; null when none came. `from` binds
 * the client to a loopback source address (another /24 than 127.0.0.1 gets its own RRL bucket).
 */
export async function udpExchange(
  port: number,
  bytes: Uint8Array,
  timeoutMs = 1000,
  from?: string,
): Promise<Uint8Array | null> {
  let resolve!: (b: Uint8Array | null) => void;
  const reply = new Promise<Uint8Array | null>((r) => {
    resolve = r;
  });
  const sock = await Bun.udpSocket({
    ...(from === undefined ? {} : { hostname: from }),
    connect: { hostname: "127.0.0.1", port },
    socket: {
      data(_s, buf) {
        resolve(new Uint8Array(buf));
      },
    },
  });
  sock.send(bytes);
  const timer = setTimeout(() => resolve(null), timeoutMs);
  try {
    return await reply;
  } finally {
    clearTimeout(timer);
    sock.close();
  }
}

export function query(name: string, type: number, options: QueryOptions = {}): Uint8Array {
  return encodeMessage(createQuery(name, type, { recursionDesired: false, ...options }));
}

export async function udpQuery(
  port: number,
  name: string,
  type: number,
  options: QueryOptions = {},
): Promise<Message> {
  const reply = await udpExchange(port, query(name, type, options));
  expect(reply).not.toBeNull();
  return decodeMessage(reply as Uint8Array);
}

/** A TCP client: write raw bytes, collect length-prefixed messages (testkit's, 2-byte prefix). */
export const tcpClient = (port: number) => rawFramedClient(port, 2);

export function framed(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 2);
  out[0] = bytes.length >> 8;
  out[1] = bytes.length & 0xff;
  out.set(bytes, 2);
  return out;
}

export { prng } from "@netkit/testkit";
