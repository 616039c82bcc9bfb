import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Which requests a listener answers. One listener serves everything; with a separate management listener
 * (`management` in the configuration) the public one no longer answers the management API and the
 * dashboard, and the management one answers only those (and /health), so they need not face the internet.
 */
export type Surface = 'all' | 'public' | 'management';

const MANAGEMENT_PATHS = new Set(['/', '/login', '/logout']);

/** Whether a path belongs to the operator's surface: the management API and the dashboard. */
export function isManagementPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || MANAGEMENT_PATHS.has(path);
}

export function servesPath(surface: Surface, url: string | undefined): boolean {
  if (surface === 'all') return true;
  const path = (url ?? '/').split('?')[0]!;
  if (path === '/health') return true;
  return isManagementPath(path) === (surface === 'management');
}

/** The answer for a path this listener does not serve: the same 404 as an unknown route. */
export function notServedHere(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  const body = JSON.stringify({ error: { code: 'not_found', message: `No route for ${req.method} ${path}` } });
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

/** The http URL a listener on host:port is reached at from this machine (a wildcard host means loopback). */
export function listenerUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${port}`;
}

/** Where the management API answers: the separate management listener, or the public URL. */
export function managementUrlOf(config: { publicUrl: string; management?: { host: string; port: number } | undefined }): string {
  return config.management ? listenerUrl(config.management.host, config.management.port) : config.publicUrl;
}
