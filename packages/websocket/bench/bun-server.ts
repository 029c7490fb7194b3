// The fan-out room on Bun.serve's native WebSocket (uWebSockets underneath): every socket
// subscribes to one topic and each message is published to it with server.publish (the sender
// included, as in the other two rooms). Prints its port, stops on SIGTERM.
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (request, server) =>
    server.upgrade(request) ? undefined : new Response("WebSocket only\n", { status: 426 }),
  websocket: {
    perMessageDeflate: false,
    open: (ws) => {
      ws.subscribe("room");
    },
    message: (_ws, message) => {
      server.publish("room", message);
    },
  },
});
console.log(server.port);
process.on("SIGTERM", () => {
  void server.stop(true);
  process.exit(0);
});
