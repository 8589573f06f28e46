// The benchmark's webhook receiver: answers 204 at once to every delivery whose Standard Webhooks signature
// checks out (webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>),
// 400 to one that does not, and tells what it got on GET /stats. POST /stats/reset starts a new count (a warm-up's
// deliveries are not measured); the ids seen stay known, so a later redelivery still counts as a duplicate.
// Usage: node receiver.js [--port P] [--secret whsec_...]   (port 0, the default, lets the system choose one)
// Prints "listening <port>" once it accepts connections. Loopback only; stops on SIGTERM or when stdin closes.
const http = require("http");
const crypto = require("crypto");

const options = {};
for (let i = 2; i + 1 < process.argv.length; i += 2) options[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const secret = options.secret;
// The key: the base64 after "whsec_", or the UTF-8 bytes of a secret without that prefix (DESIGN.md, Webhooks).
const key = secret === undefined ? null
  : secret.startsWith("whsec_") ? Buffer.from(secret.slice(6), "base64") : Buffer.from(secret, "utf8");

const seen = new Set();
let count = { deliveries: 0, distinct: 0, duplicates: 0, rejected: 0, first: 0n, last: 0n };

function signed(headers, body) {
  const id = headers["webhook-id"], timestamp = headers["webhook-timestamp"], signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return false;
  if (key === null) return true;
  const expected = crypto.createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
  // Space-separated while two secrets are active; one valid signature is enough.
  return signatures.split(" ").some(s => {
    if (!s.startsWith("v1,")) return false;
    const given = Buffer.from(s.slice(3), "base64");
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
}

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on("data", chunk => chunks.push(chunk));
  request.on("end", () => {
    if (request.method === "GET" && request.url === "/stats") {
      const { first, last, ...rest } = count;
      response.writeHead(200, { "Content-Type": "application/json" })
        .end(JSON.stringify({ ...rest, seconds: Number(last - first) / 1e9 }));
      return;
    }
    if (request.method === "POST" && request.url === "/stats/reset") {
      count = { deliveries: 0, distinct: 0, duplicates: 0, rejected: 0, first: 0n, last: 0n };
      response.writeHead(204).end();
      return;
    }
    if (!signed(request.headers, Buffer.concat(chunks))) {
      count.rejected++;
      response.writeHead(400).end();
      return;
    }
    const now = process.hrtime.bigint();
    if (count.deliveries++ === 0) count.first = now;
    count.last = now;
    const id = request.headers["webhook-id"];
    if (seen.has(id)) count.duplicates++; else { seen.add(id); count.distinct++; }
    response.writeHead(204).end();
  });
});
server.keepAliveTimeout = 120000;
server.listen(Number(options.port || 0), "127.0.0.1", () => console.log(`listening ${server.address().port}`));
process.on("SIGTERM", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
