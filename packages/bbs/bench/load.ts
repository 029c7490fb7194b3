// Load generator for the bench (run pinned to its own core): raw framed clients, no package code.
// Usage: bun run bench/load.ts PORT MODE ARGS...  → prints one JSON line.
// With LOAD_TLS_CA=FILE the clients speak TLS and verify the server against that certificate.
//   post CLIENTS POSTS: every client sends POSTS post frames back to back, then `unread`; the
//     reply to `unread` means (on our server) that all its posts are stored.
//   list: one client sends `list` and reads every frame.

const utf8 = new TextEncoder();
const tlsCa = process.env.LOAD_TLS_CA;
const tls = tlsCa ? { ca: await Bun.file(tlsCa).text(), serverName: "localhost" } : undefined;

function frame(text: string): Uint8Array {
  const body = utf8.encode(text);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

interface Client {
  /** Resolves after `n` more frames have arrived. */
  frames(n: number): Promise<void>;
  /** Reads a count frame and that many frames; resolves with the count. */
  listing(): Promise<number>;
  write(bytes: Uint8Array): void;
  end(): void;
}

async function open(port: number): Promise<Client> {
  let pending = new Uint8Array(0);
  let received = 0;
  /** Index of the frame whose payload to keep (the count of a listing). */
  let captureAt = -1;
  let captured: Uint8Array | null = null;
  let want = Number.POSITIVE_INFINITY;
  let wake: (() => void) | null = null;
  let queue: Uint8Array[] = [];
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    ...(tls ? { tls } : {}),
    socket: {
      binaryType: "uint8array",
      data(_s, chunk: Uint8Array) {
        let buf = pending.length ? concat([pending, chunk]) : chunk;
        let off = 0;
        const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        while (buf.length - off >= 4) {
          const len = view.getUint32(off);
          if (buf.length - off - 4 < len) break;
          if (received === captureAt) captured = buf.slice(off + 4, off + 4 + len);
          received++;
          off += 4 + len;
        }
        pending = buf.slice(off);
        buf = pending;
        if (received >= want && wake) {
          const w = wake;
          wake = null;
          w();
        }
      },
      drain(s) {
        while (queue.length > 0) {
          const head = queue[0] as Uint8Array;
          const n = s.write(head);
          if (n < head.length) {
            queue[0] = head.subarray(Math.max(n, 0));
            return;
          }
          queue.shift();
        }
      },
    },
  });
  const waitFor = (n: number) =>
    new Promise<void>((resolve) => {
      if (received >= n) return resolve();
      want = n;
      wake = resolve;
    });
  return {
    async frames(n) {
      await waitFor(received + n);
    },
    async listing() {
      captureAt = received;
      captured = null;
      await waitFor(captureAt + 1);
      const count = Number(new TextDecoder().decode(captured ?? new Uint8Array()));
      await waitFor(captureAt + 1 + count);
      return count;
    },
    write(bytes) {
      if (queue.length > 0) {
        queue.push(bytes);
        return;
      }
      const n = socket.write(bytes);
      if (n < bytes.length) queue = [bytes.subarray(Math.max(n, 0))];
    },
    end() {
      socket.end();
    },
  };
}

const [portText, mode, a, b] = Bun.argv.slice(2);
const port = Number(portText);

if (mode === "post") {
  const clients = Number(a);
  const posts = Number(b);
  const conns = await Promise.all(Array.from({ length: clients }, () => open(port)));
  await Promise.all(conns.map((c) => c.frames(1))); // banners
  conns.forEach((c, i) => {
    c.write(frame(`load${i}`));
  });
  const payloads = conns.map((_, i) =>
    concat([
      ...Array.from({ length: posts }, (_, p) =>
        frame(`post number ${p} from client ${i}, hello board`),
      ),
      frame("unread"),
    ]),
  );
  const t0 = performance.now();
  conns.forEach((c, i) => {
    c.write(payloads[i] as Uint8Array);
  });
  await Promise.all(conns.map((c) => c.frames(1)));
  const ms = performance.now() - t0;
  for (const c of conns) c.end();
  console.log(
    JSON.stringify({ posts: clients * posts, ms, posts_per_s: (clients * posts) / (ms / 1000) }),
  );
} else if (mode === "list") {
  const c = await open(port);
  await c.frames(1);
  c.write(frame("lister"));
  const t0 = performance.now();
  c.write(frame("list"));
  const count = await c.listing();
  const ms = performance.now() - t0;
  c.end();
  console.log(JSON.stringify({ count, ms }));
} else {
  console.error("usage: load.ts PORT post CLIENTS POSTS | PORT list");
  process.exit(2);
}
process.exit(0);
