/** Baseline for bench:transfer: node:http piping a file to every request. Usage: pipe-server.ts <port> <file> */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';

const [port, file] = process.argv.slice(2);
createServer((_req, res) => {
  res.writeHead(200, { 'content-length': String(statSync(file!).size), 'content-type': 'application/octet-stream' });
  createReadStream(file!).pipe(res);
}).listen(Number(port), '127.0.0.1', () => console.log('ready'));
