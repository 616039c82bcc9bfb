/**
 * Polls `read` until `done` holds, and returns that value; after `timeoutMs` fails naming `what` and showing
 * the last value.
 */
export async function until<T>(
  what: string,
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  options: { timeoutMs?: number; pollMs?: number; show?: (value: T) => string } = {},
): Promise<T> {
  const { timeoutMs = 30_000, pollMs = 25, show = (value: T) => JSON.stringify(value) } = options;
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: still ${show(value)}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
