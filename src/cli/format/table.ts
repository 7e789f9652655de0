/** Borderless terminal tables (cli-table3) with a bold, underlined header; colours come from the caller. */
import Table from 'cli-table3';
import type { Colors } from 'picocolors/types';

const NO_BORDER = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '  ', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

/** `right` lists the columns (0-based) to align right (numbers). */
export function makeTable(head: string[], c: Colors, right: number[] = []): Table.Table {
  return new Table({
    head: head.map((h) => c.bold(h)),
    chars: NO_BORDER,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    colAligns: head.map((_, i) => (right.includes(i) ? 'right' : 'left')),
  });
}
