/**
 * Driving the code-server workbench with Playwright: explorer rows, context menus, notifications, the command
 * palette and webview frames. Selectors are VS Code 1.100's; they are kept here so a VS Code update touches
 * one file.
 */
import type { Frame, Locator, Page } from 'playwright-core';

const ROWS = '.explorer-folders-view .monaco-list-row';

/** The little of the DOM the in-page functions use (the tests' tsconfig has no DOM types, on purpose). */
interface PageElement {
  innerText: string;
  textContent: string | null;
}
interface PageGlobals {
  document: {
    body: PageElement | null;
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): ArrayLike<PageElement>;
  };
  __e2eToasts?: string[];
}

/** Waits until the workbench shows the workspace's files in the explorer. */
export async function waitForWorkbench(page: Page, timeout = 90_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout });
  await page.locator(ROWS).first().waitFor({ timeout });
}

interface RowInfo {
  index: number;
  label: string;
  level: number;
  expanded: string | null;
}

async function rowInfos(page: Page): Promise<RowInfo[]> {
  const rows = await page.locator(ROWS).evaluateAll((els) => els.map((el) => ({
    index: Number(el.getAttribute('data-index')),
    label: el.getAttribute('aria-label') ?? '',
    level: Number(el.getAttribute('aria-level') ?? '1'),
    expanded: el.getAttribute('aria-expanded'),
  })));
  return rows.sort((a, b) => a.index - b.index);
}

function rowLocator(page: Page, index: number): Locator {
  return page.locator(`${ROWS}[data-index="${index}"]`);
}

/**
 * The explorer row of `path` ("n16/ep4_moe.safetensors"), expanding its folders on the way. Rows are found by
 * their tree position (the list is virtualised, so DOM order is not screen order, and two runs hold files of the
 * same name).
 */
export async function explorerRow(page: Page, path: string): Promise<Locator> {
  const parts = path.split('/').filter(Boolean);
  let parentIndex = -1;
  let parentLevel = 0;
  for (let p = 0; p < parts.length; p++) {
    const isLast = p === parts.length - 1;
    let found: RowInfo | undefined;
    const deadline = Date.now() + 15_000;
    while (!found && Date.now() < deadline) {
      const rows = await rowInfos(page);
      const start = rows.findIndex((r) => r.index > parentIndex);
      for (let i = start; i >= 0 && i < rows.length; i++) {
        const r = rows[i];
        if (r.level <= parentLevel) break;
        if (r.level === parentLevel + 1 && r.label === parts[p]) {
          found = r;
          break;
        }
      }
      if (!found) await page.waitForTimeout(200);
    }
    if (!found) {
      const seen = (await rowInfos(page)).map((r) => `${'  '.repeat(r.level - 1)}${r.label}`).join('\n');
      throw new Error(`explorer has no row "${parts.slice(0, p + 1).join('/')}"; rows shown:\n${seen}`);
    }
    if (!isLast && found.expanded === 'false') {
      await rowLocator(page, found.index).click();
      await page.locator(`${ROWS}[data-index="${found.index}"][aria-expanded="true"]`).waitFor();
    }
    parentIndex = found.index;
    parentLevel = found.level;
  }
  return rowLocator(page, parentIndex);
}

/**
 * Right-clicks `row` and chooses the context-menu entry labelled exactly `label`. Entries contributed by
 * extensions appear only once the extension host has registered them (a few seconds after the workbench
 * loads), so a menu without the entry is closed and opened again for up to `timeout` ms. With `run` false the
 * entry is not chosen: the call only waits until the extension's contributions are there.
 */
export async function contextMenu(page: Page, row: Locator, label: string, timeout = 30_000, run = true): Promise<void> {
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const items = page.locator('.monaco-menu .action-item .action-label');
  const deadline = Date.now() + timeout;
  for (;;) {
    await row.click({ button: 'right' });
    await items.first().waitFor();
    const item = items.filter({ hasText: exact });
    if ((await item.count()) > 0 && !run) {
      await page.keyboard.press('Escape');
      await page.locator('.monaco-menu').first().waitFor({ state: 'hidden' });
      return;
    }
    if ((await item.count()) > 0) {
      // Menus ignore a mouse-up that comes too soon after they open; hovering focuses the entry, Enter runs it.
      await item.first().hover();
      await page.locator('.monaco-menu .action-item.focused .action-label', { hasText: exact }).waitFor();
      await page.keyboard.press('Enter');
      await page.locator('.monaco-menu').first().waitFor({ state: 'hidden' });
      return;
    }
    const all = (await items.allInnerTexts()).filter(Boolean);
    await page.keyboard.press('Escape');
    await page.locator('.monaco-menu').first().waitFor({ state: 'hidden' });
    if (Date.now() > deadline) throw new Error(`the context menu has no "${label}" after ${timeout / 1000} s; it offers: ${all.join(' | ')}`);
    await page.waitForTimeout(1000);
  }
}

/** Runs a command from the command palette by its full title ("Developer: Reload Window"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor();
  await input.press('Enter');
}

/** Texts of the notification toasts shown now. */
export async function toastTexts(page: Page): Promise<string[]> {
  return page.locator('.notification-toast').allInnerTexts();
}

/** The toast whose text contains `text`. */
export function toast(page: Page, text: string): Locator {
  return page.locator('.notification-toast', { hasText: text });
}

/**
 * Records, inside the page, the text of every notification toast that appears from now on (fast progress
 * notifications can come and go between two polls). Read it back with `recordedToasts`.
 */
export async function recordToasts(page: Page): Promise<void> {
  // A string, not a function: the test runner's transpiler would add helpers (__name) the page does not have.
  await page.evaluate(`(() => {
    const w = globalThis;
    w.__e2eToasts = [];
    if (w.__e2eToastObserver) w.__e2eToastObserver.disconnect();
    w.__e2eToastObserver = new MutationObserver(() => {
      for (const el of document.querySelectorAll('.notification-toast')) {
        if (el.getClientRects().length === 0) continue; // hidden (fading out, or kept in the DOM)
        const t = el.innerText.replace(/\\s+/g, ' ').trim();
        if (t && w.__e2eToasts[w.__e2eToasts.length - 1] !== t) w.__e2eToasts.push(t);
      }
    });
    w.__e2eToastObserver.observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
}

export async function recordedToasts(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).__e2eToasts ?? []);
}

/**
 * The webview content frame (webviews are two nested iframes) in which `selector` matches, optionally with
 * `text` in its body. Polls every frame of the page until `timeout`.
 */
export async function webviewFrame(page: Page, selector: string, opts: { text?: string; timeout?: number } = {}): Promise<Frame> {
  const deadline = Date.now() + (opts.timeout ?? 60_000);
  for (;;) {
    for (const f of page.frames()) {
      if (f === page.mainFrame() || f.isDetached()) continue;
      const ok = await f.evaluate(({ sel, text }) => {
        const d = (globalThis as unknown as PageGlobals).document;
        if (!d.querySelector(sel)) return false;
        return !text || (d.body?.innerText ?? '').includes(text);
      }, { sel: selector, text: opts.text ?? '' }).catch(() => false);
      if (ok) return f;
    }
    if (Date.now() > deadline) {
      const seen: string[] = [];
      for (const f of page.frames()) {
        if (f === page.mainFrame() || f.isDetached()) continue;
        const h1 = await f.evaluate(() => (globalThis as unknown as PageGlobals).document.querySelector('h1, h2')?.textContent ?? '').catch(() => '');
        if (h1) seen.push(h1.trim());
      }
      throw new Error(`no webview shows ${selector}${opts.text ? ` with "${opts.text}"` : ''}; webviews open: ${seen.length ? seen.join(' | ') : 'none'}`);
    }
    await page.waitForTimeout(250);
  }
}

/** One line per frame of the page: its path and the start of its text (for failure reports). */
export async function describeFrames(page: Page): Promise<string> {
  const lines: string[] = [];
  for (const f of page.frames()) {
    if (f === page.mainFrame()) continue;
    const path = f.url().replace(/^https?:\/\/[^/]+/, '').replace(/\?.*$/, '').split('/').slice(-2).join('/');
    const text = f.isDetached() ? '(detached)' : await f.evaluate(() => ((globalThis as unknown as PageGlobals).document.body?.innerText ?? '').replace(/\s+/g, ' ').slice(0, 160)).catch((e: Error) => `(unreadable: ${e.message.split('\n')[0]})`);
    lines.push(`  ${path}: ${text || '(empty)'}`);
  }
  return lines.join('\n') || '  (no frames)';
}

/** Number of webview content frames in which `selector` matches now. */
export async function countWebviews(page: Page, selector: string): Promise<number> {
  let n = 0;
  for (const f of page.frames()) {
    if (f === page.mainFrame() || f.isDetached()) continue;
    if (await f.evaluate((sel) => !!(globalThis as unknown as PageGlobals).document.querySelector(sel), selector).catch(() => false)) n++;
  }
  return n;
}

/** The editor tab titled exactly `title`. */
export function editorTab(page: Page, title: string): Locator {
  return page.locator('.tabs-container .tab', { has: page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });
}
