import { readDsp, reading, ScenarioFailure } from './jsonld.ts';

/** The TCK's HTTP client rules (README §6.1): what each answer means for the test. */
export interface TckHttp {
  /** POST JSON: 2xx passes; a 4xx other than 404 is tried again (3 attempts, 200 then 400 ms); 404 and 5xx fail. */
  postJson(url: string, body: unknown): Promise<unknown>;
  /** POST JSON that must be refused: 4xx and not 404. */
  postError(url: string, body: unknown): Promise<unknown>;
  /** GET: 2xx required (404 fails) unless `anyStatus`; the body is parsed either way. */
  getJson(url: string, anyStatus?: boolean): Promise<unknown>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function parse(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The Authorization header: the TCK's constant value, or (a standard peer) one made for each request's URL. */
export type Authorize = string | ((url: string) => string | undefined | Promise<string | undefined>) | undefined;

export function tckHttp(authorization: Authorize): TckHttp {
  const headers = async (url: string, json: boolean) => {
    const value = typeof authorization === 'function' ? await authorization(url) : authorization;
    return { ...(json ? { 'content-type': 'application/json' } : {}), ...(value ? { authorization: value } : {}) };
  };
  const post = async (url: string, body: unknown) => fetch(url, { method: 'POST', headers: await headers(url, true), body: JSON.stringify(body) });
  return {
    async postJson(url, body) {
      for (let attempt = 0; ; attempt++) {
        const response = await post(url, body);
        const answer = await parse(response);
        if (response.ok) return answer;
        if (response.status === 404) throw new ScenarioFailure(`Unexpected 404 from ${url}: ${JSON.stringify(answer)?.slice(0, 300)}`);
        if (response.status < 500 && attempt < 2) {
          await sleep(200 * 2 ** attempt);
          continue;
        }
        throw new ScenarioFailure(`Unexpected response code ${response.status} from ${url}: ${JSON.stringify(answer)?.slice(0, 300)}`);
      }
    },
    async postError(url, body) {
      const response = await post(url, body);
      const answer = await parse(response);
      if (response.status === 404) throw new ScenarioFailure(`Unexpected 404 from ${url} (an error was expected, but not 404)`);
      if (response.ok) throw new ScenarioFailure(`Expected to throw an error: ${url} answered ${response.status}`);
      if (response.status >= 500) throw new ScenarioFailure(`Unexpected response code ${response.status} from ${url}`);
      // The TCK reads no error body; a strict run checks it is the spec's error object.
      if (reading.strict) await readDsp(answer);
      return answer;
    },
    async getJson(url, anyStatus = false) {
      const response = await fetch(url, { headers: await headers(url, false) });
      const answer = await parse(response);
      if (!anyStatus && !response.ok) throw new ScenarioFailure(`Unexpected response code ${response.status} from GET ${url}: ${JSON.stringify(answer)?.slice(0, 300)}`);
      return answer;
    },
  };
}
