/**
 * Runs named steps in order and prints each as it completes: "✔ [2/9] title  detail (123 ms)". The first
 * failing step stops the run; its title is what a user sees and what the exit message names.
 */
export interface Step<S> {
  title: string;
  run(state: S): Promise<string | undefined>;
}

export class StepFailed extends Error {
  override name = 'StepFailed';
  readonly step: string;
  constructor(step: string, cause: Error) {
    super(`Step "${step}" failed: ${cause.message}`);
    this.step = step;
  }
}

export async function runSteps<S>(steps: Step<S>[], state: S, print: (line: string) => void = console.log): Promise<void> {
  for (const [index, step] of steps.entries()) {
    const label = `[${index + 1}/${steps.length}] ${step.title}`;
    const started = performance.now();
    try {
      const detail = await step.run(state);
      print(`✔ ${label}${detail ? `\n    ${detail.split('\n').join('\n    ')}` : ''}  (${Math.round(performance.now() - started)} ms)`);
    } catch (error) {
      print(`✘ ${label}\n    ${(error as Error).message}`);
      throw new StepFailed(step.title, error as Error);
    }
  }
}
