/** Baseline for bench:transfer: node:http GET piped to a file. Usage: pipe-client.ts <url> <destination>; prints the byte count. */
import { createWriteStream } from 'node:fs';
import { get } from 'node:http';
import { pipeline } from 'node:stream/promises';

const [url, destination] = process.argv.slice(2);
get(url!, async (res) => {
  let bytes = 0;
  res.on('data', (chunk: Buffer) => (bytes += chunk.length));
  await pipeline(res, createWriteStream(destination!));
  const peak = /VmHWM:\s+(\d+) kB/.exec(await import('node:fs').then((fs) => fs.readFileSync('/proc/self/status', 'utf8')))?.[1];
  console.log(JSON.stringify({ bytes, peakRssKb: Number(peak) }));
});
