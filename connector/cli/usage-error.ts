/** A mistake in how the CLI was called: printed with the command's usage, exit code 2, never a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}
