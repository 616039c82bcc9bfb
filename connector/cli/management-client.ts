import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../config.ts';
import { API_KEY_FILE } from '../server.ts';
import { listenerUrl } from '../http/listeners.ts';

/** A management API call that did not succeed, with the server's own explanation. */
export class ManagementApiError extends Error {
  override name = 'ManagementApiError';
  readonly status: number;
  readonly details: string[];
  constructor(status: number, message: string, details: string[] = []) {
    super(details.length ? `${message}: ${details.join('; ')}` : message);
    this.status = status;
    this.details = details;
  }
}

/**
 * A small client for one connector's management API, used by the CLI and the local dataspace script.
 *
 * @example
 * const api = managementClientFromConfig('examples/hospital.json');
 * const identity = await api.get('/identity');
 */
export class ManagementClient {
  readonly baseUrl: string;
  readonly #apiKey: string;

  constructor(baseUrl: string, apiKey: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#apiKey = apiKey;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete<T = unknown>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** The raw response, for streaming downloads. */
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.#apiKey}`);
    return fetch(`${this.baseUrl}/api${path}`, { ...init, headers });
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await this.fetch(path, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    } catch (error) {
      throw new ManagementApiError(0, `Cannot reach the connector at ${this.baseUrl}: ${(error as { cause?: Error }).cause?.message ?? (error as Error).message}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      const problem = (parsed as { error?: { message?: string; details?: string[] } })?.error;
      throw new ManagementApiError(
        response.status,
        `${method} ${path} failed with ${response.status}: ${problem?.message ?? String(parsed ?? response.statusText)}`,
        problem?.details ?? [],
      );
    }
    return parsed as T;
  }
}

/** A client for the connector a config file describes: its management listener or public URL (or loopback port), and API key. */
export function managementClientFromConfig(configPath: string, env: Record<string, string | undefined> = process.env): ManagementClient {
  const config = loadConfigFile(configPath, env);
  const url = config.management ? listenerUrl(config.management.host, config.management.port) : (config.publicUrl ?? `http://127.0.0.1:${config.port}`);
  const apiKey = config.apiKey ?? readFileSync(join(config.dataDir, API_KEY_FILE), 'utf8').trim();
  return new ManagementClient(url, apiKey);
}
