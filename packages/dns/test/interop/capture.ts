// A UDP relay between dig and a server that records every datagram both ways (for golden bytes).
export interface Capture {
  port: number;
  queries: Uint8Array[];
  replies: Uint8Array[];
  close(): void;
}

export async function startCapture(upstreamPort: number): Promise<Capture> {
  const queries: Uint8Array[] = [];
  const replies: Uint8Array[] = [];
  let client: { port: number; address: string } | undefined;
  const upstream = await Bun.udpSocket({
    binaryType: "uint8array",
    socket: {
      error() {},
      data(_s, buf) {
        replies.push(buf.slice());
        if (client) front.send(buf, client.port, client.address);
      },
    },
  });
  const front = await Bun.udpSocket({
    hostname: "127.0.0.1",
    binaryType: "uint8array",
    socket: {
      error() {},
      data(_s, buf, port, address) {
        client = { port, address };
        queries.push(buf.slice());
        upstream.send(buf, upstreamPort, "127.0.0.1");
      },
    },
  });
  return {
    port: front.port,
    queries,
    replies,
    close() {
      front.close();
      upstream.close();
    },
  };
}
