import type { HtmlEscapedString } from 'hono/utils/html';

/** A panel of the operator dashboard; capabilities add theirs (datasets, negotiations, transfers, credentials). */
export interface DashboardSection {
  title: string;
  /** Lower comes first. */
  order: number;
  render(): Promise<HtmlEscapedString> | HtmlEscapedString;
}

export class DashboardRegistry {
  readonly #sections: DashboardSection[] = [];

  add(section: DashboardSection): void {
    this.#sections.push(section);
    this.#sections.sort((a, b) => a.order - b.order);
  }

  get sections(): readonly DashboardSection[] {
    return this.#sections;
  }
}
