import { spawn } from 'node:child_process';

/** Runs `hdc` as a child process without blocking this one, so an in-process test connector can answer it. */
export function runHdc(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['connector/cli/hdc.ts', ...args], { env: { ...process.env, HDC_URL: '', HDC_API_KEY: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
