import { EgressError } from './egress-error.ts';

/**
 * Reading a peer's answer without trusting its size: the declared length is checked first, then bytes are
 * counted while they stream and the stream is cancelled the moment the limit is passed, so at most
 * `maxBytes` (plus one chunk) is ever held. `response.text()` would read the whole body first.
 */

/** A stream that passes `source` through and errors (cancelling `source`) once more than `maxBytes` went by. */
export function limitBody(source: ReadableStream<Uint8Array>, maxBytes: number, signal?: AbortSignal): ReadableStream<Uint8Array> {
  let seen = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > maxBytes) controller.error(new EgressError('tooLarge', `the answer is longer than the ${maxBytes} bytes accepted`));
      else controller.enqueue(chunk);
    },
  });
  return source.pipeThrough(counter, signal ? { signal } : {});
}

/**
 * The body as text, at most `maxBytes` of it; throws EgressError('tooLarge') beyond, having read no further.
 *
 * @example
 * const text = await readBoundedText(response, 64 * 1024);
 */
export async function readBoundedText(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new EgressError('tooLarge', `the answer announces ${declared} bytes, more than the ${maxBytes} accepted`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel();
      throw new EgressError('tooLarge', `the answer is longer than the ${maxBytes} bytes accepted`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, length).toString('utf8');
}

/** The body parsed as JSON, read with readBoundedText; throws SyntaxError for text that is not JSON. */
export async function readBoundedJson(response: Response, maxBytes: number): Promise<unknown> {
  return JSON.parse(await readBoundedText(response, maxBytes));
}

/** Drains nothing: releases the connection of an answer whose body we do not want. */
export async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
