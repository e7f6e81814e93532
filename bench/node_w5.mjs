// W5 on raw Node `net`: TCP echo on 127.0.0.1, C clients × M request/response messages of S
// bytes, server and clients in one process. The server writes back each chunk as it arrives;
// a client sends its next message once the whole echo of the last one is in. TCP_NODELAY on
// both ends, as asyncio sets it. Every byte of a client's payload is its tag (a mixed-up echo
// is caught).
//   node bench/node_w5.mjs C M S
import net from 'node:net';
import { startMeasure, argInt } from './common.mjs';

const C = argInt(process.argv[2], 'C');
const M = argInt(process.argv[3], 'M');
const S = argInt(process.argv[4], 'S');

const server = net.createServer({ noDelay: true }, (sock) => {
  sock.on('data', (d) => sock.write(d));
  sock.on('end', () => sock.end());
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const m = startMeasure();
  let ok = 0;
  let running = C;
  for (let i = 0; i < C; i++) {
    const tag = i % 251;
    const payload = Buffer.alloc(S, tag);
    let got = 0;
    let sent = 0;
    const sock = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => { sent++; sock.write(payload); });
    sock.on('data', (d) => {
      if (d[0] !== tag || d[d.length - 1] !== tag) { process.stderr.write('mixed-up echo\n'); process.exit(1); }
      got += d.length;
      while (got >= S) {
        got -= S;
        ok++;
        if (sent < M) { sent++; sock.write(payload); } else sock.end();
      }
    });
    sock.on('close', () => {
      if (--running === 0) {
        m.mark();
        server.close(() => m.report({ count: ok }));
      }
    });
  }
});
