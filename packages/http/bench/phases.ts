// The parts of one GET /json request measured alone, in CPU ns, to split micro.ts's total.
import { bytesBodyOf } from "../src/body-bytes.ts";
import { RequestParser } from "../src/request-parser.ts";
import { encodeHead } from "../src/response-writer.ts";

const N = Number(process.env.PHASE_N ?? 500_000);
const ROUNDS = Number(process.env.PHASE_ROUNDS ?? 5);
const cpuNs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};
function measure(name: string, fn: () => unknown): void {
  for (let i = 0; i < 50_000; i++) fn();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const start = cpuNs();
    for (let i = 0; i < N; i++) fn();
    best = Math.min(best, (cpuNs() - start) / N);
  }
  console.log(`${name.padEnd(60)} ${best.toFixed(0).padStart(5)} ns`);
}

const chunk = Buffer.from("GET /json HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", "latin1");
const parser = new RequestParser({ onHead() {}, onBody() {}, onEnd() {} });
const payload = JSON.stringify({ ok: true, service: "httpchat", n: 42 });
const made = () => new Response(payload, { headers: { "content-type": "application/json" } });
const scratch = Buffer.allocUnsafe(32 * 1024);
const date = new Date().toUTCString();

// Bun hands every data event a fresh Uint8Array (the floor pays it too): measured apart.
measure("a fresh Uint8Array of the request (Bun's, as a data event)", () => new Uint8Array(chunk));
measure("  + parse the head (RequestParser.push)", () => parser.push(new Uint8Array(chunk)));
measure("new Request(url) + 1 header appended", () => {
  const request = new Request("http://127.0.0.1:8080/json");
  request.headers.append("Host", "127.0.0.1:8080");
  return request;
});
measure("handler: new Response(string, { headers })", made);
measure("  + body taken with bytesBodyOf", () => bytesBodyOf(made()));
measure("  + head serialised and copied with the body", () => {
  const response = made();
  const body = bytesBodyOf(response) as Uint8Array;
  const length = encodeHead(
    {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      date,
      framing: body.length,
      connection: null,
    },
    scratch,
  );
  scratch.set(body, length);
  return length + body.length;
});
