/**
 * A small Prometheus registry: counters and histograms with labels, rendered in the text exposition
 * format at /metrics. Labels carry route patterns, never concrete paths, so ids do not leak into
 * metrics and cardinality stays bounded.
 */

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

interface Metric {
  render(): string[];
}

export interface Counter {
  inc(labels?: Labels, by?: number): void;
}

export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();

  counter(name: string, help: string): Counter {
    const values = new Map<string, number>();
    this.#register(name, {
      render: () => [`# HELP ${name} ${help}`, `# TYPE ${name} counter`, ...[...values].map(([k, v]) => `${name}${k ? `{${k}}` : ''} ${v}`)],
    });
    return { inc: (labels = {}, by = 1) => void values.set(labelKey(labels), (values.get(labelKey(labels)) ?? 0) + by) };
  }

  histogram(name: string, help: string, buckets: number[] = DEFAULT_BUCKETS): Histogram {
    const series = new Map<string, { counts: number[]; sum: number; count: number }>();
    this.#register(name, {
      render: () => {
        const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
        for (const [key, s] of series) {
          const sep = key ? ',' : '';
          for (const [i, le] of buckets.entries()) lines.push(`${name}_bucket{${key}${sep}le="${le}"} ${s.counts[i]}`);
          lines.push(`${name}_bucket{${key}${sep}le="+Inf"} ${s.count}`, `${name}_sum${key ? `{${key}}` : ''} ${s.sum}`, `${name}_count${key ? `{${key}}` : ''} ${s.count}`);
        }
        return lines;
      },
    });
    return {
      observe(value, labels = {}) {
        const key = labelKey(labels);
        const s = series.get(key) ?? { counts: buckets.map(() => 0), sum: 0, count: 0 };
        series.set(key, s);
        for (const [i, le] of buckets.entries()) if (value <= le) s.counts[i]!++;
        s.sum += value;
        s.count++;
      },
    };
  }

  /** A value read at scrape time (queue depths, open transfers). */
  gauge(name: string, help: string, read: () => number | Promise<number>): void {
    let last = 0;
    this.#register(name, { render: () => [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${last}`] });
    this.#gauges.push(async () => {
      last = await read();
    });
  }

  readonly #gauges: (() => Promise<void>)[] = [];

  async render(): Promise<string> {
    await Promise.all(this.#gauges.map((refresh) => refresh().catch(() => {})));
    return `${[...this.#metrics.values()].flatMap((m) => m.render()).join('\n')}\n`;
  }

  #register(name: string, metric: Metric): void {
    if (this.#metrics.has(name)) throw new Error(`Metric ${name} is registered twice`);
    this.#metrics.set(name, metric);
  }
}
