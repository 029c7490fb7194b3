// Node + the ws package as an echo server for our client: prints its port, echoes every message
// (compression on when argv[2] is "deflate"), and exits when stdin closes.
import { WebSocketServer } from "ws";

const deflate = process.argv[2] === "deflate";
const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  perMessageDeflate: deflate ? { threshold: 0, serverMaxWindowBits: 10 } : false,
  handleProtocols: (protocols) => (protocols.has("echo.v1") ? "echo.v1" : false),
});
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on("listening", () => console.log(wss.address().port));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
