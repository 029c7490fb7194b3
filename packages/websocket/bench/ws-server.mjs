// The fan-out room on Node with the `ws` package, written as ws's README broadcasts: every message
// is sent to every open client with client.send. Run with `node`; prints its port, stops on SIGTERM.
import { WebSocket, WebSocketServer } from "ws";

const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  backlog: 1024,
  perMessageDeflate: false,
});
wss.on("connection", (ws) => {
  ws.on("error", () => {});
  ws.on("message", (data, isBinary) => {
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    }
  });
});
wss.on("listening", () => console.log(wss.address().port));
process.on("SIGTERM", () => process.exit(0));
