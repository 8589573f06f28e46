// An independent HTTP/2 client (node's http2 module): one TLS connection, several SSE streams on it. Prints
// "alpn <protocol>", then "ready" once every stream has its headers and retry hint, then "event <stream> <id>"
// for the first event each stream receives, and exits 0 when every stream has one.
import http2 from 'node:http2';
import fs from 'node:fs';

const [origin, caPath, path, countText] = process.argv.slice(2);
const count = Number(countText);
const session = http2.connect(origin, { ca: fs.readFileSync(caPath) });
session.on('error', (error) => { console.error(error); process.exit(2); });
let ready = 0;
let received = 0;
session.on('connect', () => console.log(`alpn ${session.alpnProtocol}`));
for (let i = 0; i < count; i++) {
  const stream = session.request({ ':path': path, accept: 'text/event-stream' });
  let text = '';
  let gotEvent = false;
  let gotReady = false;
  stream.on('response', (headers) => {
    if (headers[':status'] !== 200 || !String(headers['content-type']).startsWith('text/event-stream')) {
      console.error(`stream ${i}: ${JSON.stringify(headers)}`);
      process.exit(3);
    }
  });
  stream.on('error', (error) => { console.error(`stream ${i}: ${error}`); process.exit(4); });
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    text += chunk;
    if (!gotReady && text.includes('retry:')) {
      gotReady = true;
      if (++ready === count) console.log('ready');
    }
    const match = /id: (\d+)\n/.exec(text);
    if (match && !gotEvent) {
      gotEvent = true;
      console.log(`event ${i} ${match[1]}`);
      if (++received === count) { session.destroy(); process.exit(0); }
    }
  });
}
