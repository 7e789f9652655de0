/**
 * One end-to-end session: code-server installed (cached), the extension packaged and installed into a fresh
 * extensions folder, a throw-away workspace of demo runs opened in a fresh code-server, and headless Chromium
 * on the workbench. `step` runs a test body and, when it fails, saves the page's screenshot and the logs under
 * test-results/e2e/ and puts their tails into the error.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before } from 'node:test';
import { basename, dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { ensureCodeServer } from '../../../scripts/e2e/install-code-server.mjs';
import { buildVsix } from './buildVsix';
import type { BuiltVsix } from './buildVsix';
import { CodeServer, installExtension, writeUserSettings } from './codeServer';
import type { CodeServerDirs } from './codeServer';
import { CHROMIUM, RESULTS } from './paths';
import { describeFrames, waitForWorkbench } from './workbench';
import { makeWorkspace } from './workspace';

export const EXTENSION_ID = 'softmoe-inspector.softmoe-inspector';

/** User settings that open every folder in Restricted Mode: trust is on, nothing is trusted, nobody is asked. */
const RESTRICTED_MODE = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'always',
  'security.workspace.trust.emptyWindow': false,
};

export interface SessionOptions {
  /** Prefix of screenshots and logs, e.g. 'analyze'. */
  name: string;
  /** Demo runs copied into the workspace, e.g. ['n2', 'n16']. */
  runs: string[];
  /** Workspace settings merged over test/fixtures/e2e/workspace/.vscode/settings.json. */
  settings?: Record<string, unknown>;
  /** More files for the workspace, by relative path (folders are created). */
  files?: Record<string, string | Uint8Array>;
  /** Open the workspace untrusted (Restricted Mode), with workspace trust on and its start-up prompt off. */
  restricted?: boolean;
  /** User settings (the profile's settings.json), merged over the harness's own. */
  userSettings?: Record<string, unknown>;
}

export class E2eSession {
  page!: Page;
  server: CodeServer | null = null;
  browser: Browser | null = null;
  vsix: BuiltVsix | null = null;
  /** What `code-server --list-extensions --show-versions` printed after the install. */
  installedList = '';
  readonly root: string;
  readonly workspace: string;
  readonly dirs: CodeServerDirs;
  private shots = 0;
  /** The last console errors and warnings of the page and its frames. */
  readonly console: string[] = [];

  constructor(readonly opts: SessionOptions) {
    this.root = mkdtempSync(join(tmpdir(), `softmoe-e2e-${opts.name}-`));
    this.workspace = join(this.root, 'workspace');
    this.dirs = { userDataDir: join(this.root, 'user-data'), extensionsDir: join(this.root, 'extensions'), logFile: join(this.root, 'code-server.log') };
    mkdirSync(RESULTS, { recursive: true });
    // Artefacts of an earlier run of this session would be mistaken for this run's.
    for (const f of readdirSync(RESULTS)) {
      if (f.startsWith(`${opts.name}-`) || f.startsWith(`FAILED-${opts.name}-`)) rmSync(join(RESULTS, f), { recursive: true, force: true });
    }
  }

  /** Install, package, start, open. Throws with the server's log when any part fails. */
  async start(): Promise<void> {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set SOFTMOE_CHROMIUM)`);
    const bin = await ensureCodeServer();
    this.vsix = buildVsix();
    writeUserSettings(this.dirs.userDataDir, { ...(this.opts.restricted ? RESTRICTED_MODE : {}), ...this.opts.userSettings });
    this.installedList = installExtension(bin, this.dirs, this.vsix.vsix, EXTENSION_ID);
    makeWorkspace(this.workspace, this.opts.runs, this.opts.settings);
    for (const [rel, data] of Object.entries(this.opts.files ?? {})) {
      mkdirSync(dirname(join(this.workspace, rel)), { recursive: true });
      writeFileSync(join(this.workspace, rel), data);
    }
    this.server = await CodeServer.start(bin, this.workspace, this.dirs, { workspaceTrust: this.opts.restricted === true });
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    this.page = await this.browser.newPage({ viewport: { width: 1400, height: 900 } });
    this.page.setDefaultTimeout(30_000);
    // The workbench's and the webviews' console errors, for failure reports.
    this.page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') this.console.push(`[${m.type()}] ${m.text().slice(0, 500)}`);
      if (this.console.length > 200) this.console.shift();
    });
    this.page.on('pageerror', (e) => this.console.push(`[pageerror] ${e.message.slice(0, 500)}`));
    this.page.on('response', (r) => {
      if (r.status() >= 400) this.console.push(`[http ${r.status()}] ${r.url().slice(0, 300)}`);
    });
    this.page.on('requestfailed', (r) => this.console.push(`[request failed: ${r.failure()?.errorText ?? '?'}] ${r.url().slice(0, 300)}`));
    await this.page.goto(this.server.folderUrl(this.workspace));
    try {
      await waitForWorkbench(this.page);
    } catch (err) {
      throw await this.failure('start', err);
    }
  }

  /** Saves a numbered screenshot test-results/e2e/<name>-NN-<label>.png and returns its path. */
  async shot(label: string): Promise<string> {
    this.shots++;
    const file = join(RESULTS, `${this.opts.name}-${String(this.shots).padStart(2, '0')}-${label}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Runs `fn`; on failure dumps the screenshot and logs and rethrows with their tails in the message. */
  async step<T>(label: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw await this.failure(label, err);
    }
  }

  private async failure(label: string, err: unknown): Promise<Error> {
    const base = join(RESULTS, `FAILED-${this.opts.name}-${label}`);
    const notes: string[] = [];
    try {
      if (this.page) {
        await this.page.screenshot({ path: `${base}.png`, timeout: 10_000 });
        notes.push(`screenshot: ${base}.png`);
      }
    } catch (e) {
      notes.push(`(no screenshot: ${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
    }
    if (this.console.length) {
      writeFileSync(`${base}-console.txt`, this.console.join('\n'));
      notes.push(`browser console (last 15 of ${this.console.length}, all in ${base}-console.txt):\n${this.console.slice(-15).join('\n')}`);
    }
    if (this.page) notes.push(`frames:\n${await describeFrames(this.page).catch((e: Error) => e.message)}`);
    if (this.server) {
      mkdirSync(`${base}-logs`, { recursive: true });
      for (const f of [this.dirs.logFile, ...this.server.vscodeLogFiles()]) {
        try {
          // exthost1/…, exthost2/… (one per window load) hold files of the same name.
          copyFileSync(f, join(`${base}-logs`, `${basename(dirname(dirname(f))).startsWith('exthost') ? `${basename(dirname(dirname(f)))}-` : ''}${basename(dirname(f)).startsWith('exthost') ? `${basename(dirname(f))}-` : ''}${basename(f)}`));
        } catch { /* log vanished */ }
      }
      notes.push(`logs: ${base}-logs/`, this.server.logs(40));
    }
    const message = err instanceof Error ? err.message : String(err);
    const wrapped = new Error(`${label}: ${message}\n${notes.join('\n')}`);
    if (err instanceof Error && err.stack) wrapped.stack = `${wrapped.message}\n${err.stack.split('\n').slice(1).join('\n')}`;
    return wrapped;
  }

  /** Closes the browser, stops the server's whole process group and removes the temporary folders. */
  async close(): Promise<void> {
    const errors: unknown[] = [];
    try {
      await this.browser?.close();
    } catch (e) {
      errors.push(e);
    }
    try {
      await this.server?.stop();
    } catch (e) {
      errors.push(e);
    }
    this.vsix?.dispose();
    if (!process.env.SOFTMOE_E2E_KEEP) rmSync(this.root, { recursive: true, force: true });
    if (errors.length) throw errors[0];
  }
}

/**
 * A describe block's session: started before its tests (code-server, the packaged extension, Chromium) and closed
 * after them, leaving no code-server running.
 */
export function useSession(s: E2eSession, startTimeoutMs = 300_000): void {
  before(async () => {
    await s.start();
  }, { timeout: startTimeoutMs });
  after(async () => {
    await s.close();
    assert.equal(s.server?.isRunning(), false, 'code-server is still running after the session closed');
  });
}
