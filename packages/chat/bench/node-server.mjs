// The baseline for the bench: a straightforward node:net broadcast server, run with `node`.
// First line = name; then each line goes to every other client as `name: text`, one write per
// delivery, formatted per receiver (the way such servers are usually written).
import net from "node:net";

const clients = new Set();
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.setEncoding("utf8");
  let name = null;
  let buffered = "";
  socket.on("data", (data) => {
    buffered += data;
    let lf = buffered.indexOf("\n");
    while (lf >= 0) {
      const line = buffered.slice(0, lf).replace(/\r$/, "");
      buffered = buffered.slice(lf + 1);
      lf = buffered.indexOf("\n");
      if (name === null) {
        if (line !== "") {
          name = line;
          clients.add(socket);
        }
        continue;
      }
      for (const other of clients) if (other !== socket) other.write(`${name}: ${line}\n`);
    }
  });
  socket.on("close", () => clients.delete(socket));
  socket.on("error", () => {});
});
server.maxConnections = 100000;
server.listen(0, "127.0.0.1", 1024, () => console.log(server.address().port));
process.on("SIGTERM", () => process.exit(0));
