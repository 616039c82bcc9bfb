import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

const STYLE = `
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2733; background: #f4f6f8; }
  header { background: #12395b; color: #fff; padding: 14px 28px; display: flex; justify-content: space-between; align-items: center; }
  header h1 { font-size: 18px; margin: 0; }
  header small { opacity: .8; }
  main { padding: 20px 28px; display: grid; gap: 18px; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); }
  section { background: #fff; border-radius: 8px; padding: 14px 18px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  section h2 { font-size: 15px; margin: 0 0 10px; color: #12395b; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #e6e9ed; vertical-align: top; word-break: break-all; }
  th { color: #5a6775; font-weight: 600; width: 34%; word-break: normal; }
  .ok { color: #177245; } .bad { color: #b3261e; } .muted { color: #6b7785; }
  form.inline { display: inline; } button { font: inherit; cursor: pointer; }
  .login { max-width: 420px; margin: 60px auto; } .login input { width: 100%; padding: 8px; margin: 8px 0; box-sizing: border-box; }
`;

export function page(title: string, headerRight: HtmlEscapedString | Promise<HtmlEscapedString> | string, body: HtmlEscapedString | Promise<HtmlEscapedString>) {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title}</title>
    <style>${STYLE}</style>
  </head>
  <body>
    <header><h1>${title}</h1><div>${headerRight}</div></header>
    ${body}
  </body>
</html>`;
}

/** A two-column table of label/value rows; values are escaped. */
export function facts(rows: [string, unknown][]) {
  return html`<table>${rows.map(([label, value]) => html`<tr><th>${label}</th><td>${value ?? html`<span class="muted">—</span>`}</td></tr>`)}</table>`;
}

/** A table with a header row; cells are escaped. An empty list shows `empty` instead. */
export function listTable(headers: string[], rows: unknown[][], empty: string) {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<table><tr>${headers.map((h) => html`<th style="width:auto">${h}</th>`)}</tr>${rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell ?? html`<span class="muted">—</span>`}</td>`)}</tr>`)}</table>`;
}
