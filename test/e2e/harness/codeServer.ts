/**
 * A code-server (VS Code 1.100 in the browser) for one test file: fresh user-data and extensions folders, a
 * random loopback port, its own process group so stopping it ends the extension host and every helper with it.
 * A process 'exit' hook kills the group too, so a crashed or interrupted test leaves no server running.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface CodeServerDirs {
  userDataDir: string;
  extensionsDir: string;
  /** code-server's own stdout/stderr. */
  logFile: string;
}

const running = new Set<number>();
process.on('exit', () => {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch { /* already gone */ }
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 60): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Settings that keep first-run UI (welcome page, trust dialog, update checks) out of the way. */
export function writeUserSettings(userDataDir: string, extra: Record<string, unknown> = {}): void {
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': false,
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'git.enabled': false,
    'window.commandCenter': false,
    'workbench.editor.enablePreview': false,
    ...extra,
  }, null, 2));
}

/** `code-server --install-extension`; throws with its output unless the extension is then listed. */
export function installExtension(bin: string, dirs: CodeServerDirs, vsix: string, id: string): string {
  const base = ['--user-data-dir', dirs.userDataDir, '--extensions-dir', dirs.extensionsDir];
  const inst = spawnSync(bin, [...base, '--install-extension', vsix], { encoding: 'utf8', timeout: 120_000 });
  const out = `${inst.stdout ?? ''}${inst.stderr ?? ''}`.trim();
  if (inst.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (exit ${inst.status ?? inst.signal}):\n${out}`);
  const list = spawnSync(bin, [...base, '--list-extensions', '--show-versions'], { encoding: 'utf8', timeout: 60_000 });
  const listed = `${list.stdout ?? ''}`.trim();
  if (!listed.toLowerCase().split('\n').some((l) => l.startsWith(`${id.toLowerCase()}@`))) {
    throw new Error(`${id} is not listed after installing ${vsix}.\ninstall said: ${out}\nlist said: ${listed}${list.stderr ?? ''}`);
  }
  return listed;
}

export class CodeServer {
  private exited = false;

  private constructor(private readonly child: ChildProcess, readonly url: string, readonly dirs: CodeServerDirs) {
    child.once('exit', () => {
      this.exited = true;
    });
  }

  get pgid(): number {
    return this.child.pid ?? -1;
  }

  /** `workspaceTrust`: leave workspace trust on (Restricted Mode tests); off by default, so no trust dialog shows. */
  static async start(bin: string, workspace: string, dirs: CodeServerDirs, opts: { workspaceTrust?: boolean } = {}): Promise<CodeServer> {
    mkdirSync(dirs.extensionsDir, { recursive: true });
    const port = await freePort();
    const fd = openSync(dirs.logFile, 'a');
    const child = spawn(bin, [
      '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
      ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override',
      '--user-data-dir', dirs.userDataDir, '--extensions-dir', dirs.extensionsDir, workspace,
    ], { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, VSCODE_PROXY_URI: '' } });
    closeSync(fd);
    if (!child.pid) throw new Error(`code-server did not start (${bin})`);
    running.add(child.pid);
    const server = new CodeServer(child, `http://127.0.0.1:${port}/`, dirs);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (server.exited) throw new Error(`code-server exited during start-up:\n${tail(dirs.logFile)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.ok) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`code-server did not answer on port ${port} within 60 s:\n${tail(dirs.logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return server;
  }

  /** The workbench URL for a folder. */
  folderUrl(folder: string): string {
    return `${this.url}?folder=${encodeURIComponent(folder)}`;
  }

  /** The last lines of code-server's log and of VS Code's own logs that mention the extension or its host. */
  logs(lines = 60): string {
    const parts = [`--- code-server (${this.dirs.logFile})\n${tail(this.dirs.logFile, lines)}`];
    for (const f of this.vscodeLogFiles()) parts.push(`--- ${f}\n${tail(f, lines)}`);
    return parts.join('\n');
  }

  /** The extension host log and the extension's own output channel (under user-data-dir/logs). */
  vscodeLogFiles(): string[] {
    const found: string[] = [];
    const walk = (dir: string, depth: number): void => {
      if (depth > 6 || !existsSync(dir)) return;
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p, depth + 1);
        else if (/exthost\.log$|Soft MoE|softmoe/i.test(name) || (/^remoteexthost\.log$/.test(name))) found.push(p);
      }
    };
    walk(join(this.dirs.userDataDir, 'logs'), 0);
    return found.sort();
  }

  /** Ends the whole process group (TERM, then KILL after 5 s) and waits until nothing of it is left. */
  async stop(): Promise<void> {
    const pgid = this.pgid;
    if (pgid <= 0) return;
    const signal = (s: NodeJS.Signals): void => {
      try {
        process.kill(-pgid, s);
      } catch { /* gone */ }
    };
    signal('SIGTERM');
    const deadline = Date.now() + 5000;
    while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (groupAlive(pgid)) {
      signal('SIGKILL');
      const hard = Date.now() + 5000;
      while (groupAlive(pgid) && Date.now() < hard) await new Promise((r) => setTimeout(r, 100));
    }
    if (!groupAlive(pgid)) running.delete(pgid);
    else throw new Error(`code-server's process group ${pgid} is still alive after SIGKILL`);
  }

  /** True while any process of the server's group is alive. */
  isRunning(): boolean {
    return this.pgid > 0 && groupAlive(this.pgid);
  }
}
