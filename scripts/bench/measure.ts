/** Small helpers shared by the benchmarks: timed loops and readable figures. */

export interface Rate {
  label: string;
  ops: number;
  seconds: number;
  perSecond: number;
  msPerOp: number;
}

/** Runs `op` repeatedly for at least `seconds` (after `warmup` runs) and reports the rate. */
export async function measureRate(label: string, op: (i: number) => unknown, options: { seconds?: number; warmup?: number } = {}): Promise<Rate> {
  for (let i = 0; i < (options.warmup ?? 5); i++) await op(i);
  const budget = (options.seconds ?? 2) * 1000;
  const started = performance.now();
  let ops = 0;
  while (performance.now() - started < budget) await op(ops++);
  const seconds = (performance.now() - started) / 1000;
  return { label, ops, seconds, perSecond: ops / seconds, msPerOp: (seconds * 1000) / ops };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function printTable(title: string, rows: (string | number)[][], header: string[]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  console.log(`\n${title}`);
  for (const [n, row] of cells.entries()) {
    console.log(row.map((c, i) => String(c).padEnd(widths[i]!)).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}
