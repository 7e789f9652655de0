/** An HTML table (the first under `host`) as CSV: its caption-less header and body cells, as shown. */
import { toCsv } from '../../src/core/report/csv';

export function tableCsv(host: HTMLElement): string | null {
  const table = host instanceof HTMLTableElement ? host : host.querySelector('table');
  if (!table) return null;
  const rows = [...table.querySelectorAll('tr')].map((tr) => [...tr.querySelectorAll('th, td')].map((c) => (c.textContent ?? '').trim()));
  if (rows.length === 0) return null;
  return toCsv(rows[0], rows.slice(1));
}
