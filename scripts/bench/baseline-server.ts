/**
 * The benchmarks' baseline: a Hono route on @hono/node-server answering every request with a body read
 * once at start-up, so it measures the HTTP stack and nothing else. Usage: baseline-server.ts <port> <body-file> [content-type]
 */
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const [port, file, contentType = 'application/json'] = process.argv.slice(2);
const body = readFileSync(file!, 'utf8');
const app = new Hono();
app.all('*', (c) => c.body(body, 200, { 'content-type': contentType }));
serve({ fetch: app.fetch, port: Number(port), hostname: '127.0.0.1' }, () => console.log('ready'));
