// A webhook receiver that answers 204 at once and reports signed deliveries per second.
// Usage: node receiver.js <port> <expected deliveries>; prints one JSON line when all have arrived.
const http = require("http");
const [port, expected] = [Number(process.argv[2]), Number(process.argv[3])];
let count = 0, first = 0;
http.createServer((request, response) => {
  request.on("data", () => {});
  request.on("end", () => {
    if (!request.headers["webhook-signature"]) { response.writeHead(400).end(); return; }
    if (count++ === 0) first = process.hrtime.bigint();
    response.writeHead(204).end();
    if (count === expected) {
      const seconds = Number(process.hrtime.bigint() - first) / 1e9;
      console.log(JSON.stringify({ deliveries: count, seconds: +seconds.toFixed(3), per_second: Math.round(count / seconds) }));
      process.exit(0);
    }
  });
}).listen(port, "127.0.0.1");
