// Node + the ws package as a client of our echo server: argv[2] is the URL, argv[3] "deflate" or
// "plain". Prints one JSON line: what came back and how the close went.
import WebSocket from "ws";

const [url, mode] = process.argv.slice(2);
const ws = new WebSocket(url, ["echo.v1"], {
  perMessageDeflate: mode === "deflate" ? { threshold: 0, clientMaxWindowBits: 11 } : false,
});
const sent = [
  "hello",
  "κόσμε ✓",
  "x".repeat(100_000),
  Buffer.from([0, 1, 2, 255]),
  "compressible ".repeat(5000),
];
const got = [];
ws.on("open", () => {
  for (const m of sent) ws.send(m);
  ws.ping("are you there");
});
let pong = "";
ws.on("pong", (data) => {
  pong = data.toString();
});
ws.on("message", (data, isBinary) => {
  got.push(isBinary ? [...data] : data.toString());
  if (got.length === sent.length) ws.close(4001, "bye");
});
ws.on("close", (code, reason) => {
  const expected = sent.map((m) => (typeof m === "string" ? m : [...m]));
  console.log(
    JSON.stringify({
      equal: JSON.stringify(got) === JSON.stringify(expected),
      count: got.length,
      pong,
      code,
      reason: reason.toString(),
      protocol: ws.protocol,
      extensions: ws.extensions,
    }),
  );
});
ws.on("error", (e) => {
  console.log(JSON.stringify({ error: String(e) }));
  process.exit(1);
});
