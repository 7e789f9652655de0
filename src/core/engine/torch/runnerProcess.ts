/**
 * The Python runner as a child process: start it, check its handshake, send requests and wait for their answers
 * (one at a time), stop it.
 *
 * No orphans: the runner is started in its own process group (POSIX) and stopped with its whole group; every live
 * runner is killed when this process exits; and the runner itself exits as soon as its stdin closes, so even a
 * client killed outright (or a worker thread terminated) leaves nothing behind.
 *
 * Cancel: an aborted request rejects at once with E_CANCELLED and asks the runner to stop it (`cancel`); the runner
 * checks between Soft MoE layers and chunks of passes. If it has not answered within CANCEL_GRACE_MS it is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { SoftMoeError, cancelledError, type ErrorCode } from '../../errors';
import {
  TORCH_PROTOCOL_VERSION, parseRunnerMessage, type HelloMessage, type RunnerErrorCode, type RunnerToClient,
} from '../../protocol/torchProtocol';
import { encodeFrame, FrameDecoder, type Frame } from './frames';

/** How long a cancelled request may take to stop before the runner is killed. */
export const CANCEL_GRACE_MS = 750;
/** How long `import torch` and the handshake may take. */
export const HANDSHAKE_TIMEOUT_MS = 120_000;

/** Which interpreter, and where that choice came from (for every message and label). */
export interface PythonChoice {
  path: string;
  /** e.g. 'softmoeInspector.pythonPath', 'the Python extension', '--python', 'PATH'. */
  source: string;
}

export function defaultPython(): PythonChoice {
  return { path: process.platform === 'win32' ? 'python' : 'python3', source: 'PATH' };
}

export interface RunnerStartOptions {
  python: PythonChoice;
  /** Path of softmoe_runner.py. */
  script: string;
  /** Working directory of the runner (the softmoe.json's folder). */
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Each line the runner (or the user's code) writes to stderr. */
  onStderr?: (line: string) => void;
  signal?: AbortSignal;
  handshakeTimeoutMs?: number;
}

/** An answer frame with its parsed header. */
export interface Answer<T extends RunnerToClient = RunnerToClient> {
  message: T;
  buffers: Uint8Array[];
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Called right after the request's frame is written (to stream frames that belong to it). */
  after?: () => Promise<void>;
  /** Mid-request `select` frames: return the frame to send back. */
  onSelect?: (answer: Answer) => Promise<{ header: object; buffers: ArrayBufferView[] }> | { header: object; buffers: ArrayBufferView[] };
}

const live = new Set<RunnerProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const r of live) r.kill();
  });
}

/** Runner error codes → the tool's error codes. */
const ERROR_CODES: Record<RunnerErrorCode, ErrorCode> = {
  'no-torch': 'E_ENGINE',
  import: 'E_CONFIG',
  factory: 'E_CONFIG',
  'state-dict': 'E_SHAPE',
  layer: 'E_UNSUPPORTED',
  'self-check': 'E_UNSUPPORTED',
  forward: 'E_ENGINE',
  device: 'E_CONFIG',
  oom: 'E_ENGINE',
  cancelled: 'E_CANCELLED',
  protocol: 'E_ENGINE',
  internal: 'E_ENGINE',
};

interface Pending {
  id: number;
  resolve: (a: Answer) => void;
  reject: (e: unknown) => void;
  onSelect?: RequestOptions['onSelect'];
}

export class RunnerProcess {
  readonly hello: HelloMessage;
  /** 'python3 (PATH)' — what ran, for messages. */
  readonly who: string;
  private readonly child: ChildProcess;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private dead: SoftMoeError | null = null;
  private readonly stderrTail: string[];
  private readonly onLog?: (line: string) => void;

  private constructor(child: ChildProcess, hello: HelloMessage, who: string, stderrTail: string[], decoder: FrameDecoder, onLog?: (line: string) => void) {
    this.child = child;
    this.onLog = onLog;
    this.hello = hello;
    this.who = who;
    this.stderrTail = stderrTail;
    live.add(this);
    child.stdout?.removeAllListeners('data');
    child.stdout?.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        this.fail(err instanceof SoftMoeError ? err : new SoftMoeError('E_ENGINE', 'The PyTorch runner sent a broken frame.', { cause: err }));
        this.kill();
        return;
      }
      for (const f of frames) this.onFrame(f);
    });
    child.removeAllListeners('exit');
    child.on('exit', (code, sig) => {
      live.delete(this);
      this.fail(new SoftMoeError('E_ENGINE', `${this.who} stopped (${sig ? `killed by ${sig}` : `exit status ${code}`})${this.lastWords()}.`));
    });
    child.stdin?.on('error', () => undefined);
    child.on('error', () => undefined);
  }

  /** Start the runner and wait for its hello. Rejects with one clear error (no Python, no torch, wrong version). */
  static async start(opts: RunnerStartOptions): Promise<RunnerProcess> {
    installExitHook();
    const who = `the PyTorch runner (${opts.python.path}${opts.python.source ? `, from ${opts.python.source}` : ''})`;
    const tail: string[] = [];
    const child = spawn(opts.python.path, ['-B', opts.script], {
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
      env: { ...process.env, ...opts.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
    });
    const killChild = () => killTree(child);
    let partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      partial += s;
      const lines = partial.split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        opts.onStderr?.(line);
      }
    });
    const decoder = new FrameDecoder();
    const hello = await new Promise<HelloMessage>((resolve, reject) => {
      let done = false;
      const finish = (err: unknown, h?: HelloMessage) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) {
          killChild();
          reject(err);
        } else resolve(h as HelloMessage);
      };
      const onAbort = () => finish(cancelledError());
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const timeout = opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
      const timer = setTimeout(() => finish(new SoftMoeError('E_ENGINE', `${who} did not start within ${Math.round(timeout / 1000)} s${words(tail, partial)}.`)), timeout);
      child.on('error', (err: NodeJS.ErrnoException) => {
        const msg = err.code === 'ENOENT'
          ? `Python interpreter '${opts.python.path}' not found (${opts.python.source === 'PATH' ? 'looked on PATH' : `from ${opts.python.source}`}); set softmoeInspector.pythonPath in VS Code or pass --python to the CLI`
          : `${who} could not be started: ${err.message}`;
        finish(new SoftMoeError('E_ENGINE', `${msg}.`, { cause: err }));
      });
      child.on('exit', (code, sig) => finish(new SoftMoeError('E_ENGINE', `${who} exited before its handshake (${sig ? `killed by ${sig}` : `exit status ${code}`})${words(tail, partial)}.`)));
      child.stdout?.on('data', (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = decoder.push(chunk);
        } catch (err) {
          return finish(err);
        }
        const first = frames[0] ? parseRunnerMessage(frames[0].header) : null;
        if (!frames[0]) return;
        if (!first || first.type !== 'hello') return finish(new SoftMoeError('E_ENGINE', `${who} did not start with the protocol's hello.`));
        if (first.protocol !== TORCH_PROTOCOL_VERSION) {
          return finish(new SoftMoeError('E_ENGINE', `${who} speaks protocol version ${first.protocol}, this tool ${TORCH_PROTOCOL_VERSION}; reinstall the tool (its runner script and code are out of step).`));
        }
        if (!first.torch) {
          return finish(new SoftMoeError('E_ENGINE', `${opts.python.path} (Python ${first.python.version}, from ${opts.python.source}) cannot import torch: ${first.torchError ?? 'unknown error'}. Install PyTorch into that environment, or choose another interpreter (softmoeInspector.pythonPath in VS Code, --python on the command line).`));
        }
        if (frames.length > 1) return finish(new SoftMoeError('E_ENGINE', `${who} sent frames before it was asked anything.`));
        finish(null, first);
      });
    });
    return new RunnerProcess(child, hello, who, tail, decoder, opts.onStderr);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.dead === null;
  }

  /**
   * Send one request and wait for its answer. Requests run one after another; an aborted request rejects at once
   * (E_CANCELLED) while the runner stops it, or is killed when it does not within CANCEL_GRACE_MS.
   */
  request<T extends RunnerToClient = RunnerToClient>(header: Record<string, unknown>, buffers: ArrayBufferView[] = [], opts: RequestOptions = {}): Promise<Answer<T>> {
    const run = this.queue.then(() => this.exchange(header, buffers, opts));
    // The next request waits for this one's ANSWER, even when its caller has already been told 'cancelled'.
    this.queue = run.then(() => undefined, () => undefined);
    if (!opts.signal) return run as Promise<Answer<T>>;
    const signal = opts.signal;
    return new Promise<Answer<T>>((resolve, reject) => {
      const onAbort = () => reject(cancelledError());
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      run.then((a) => resolve(a as Answer<T>), reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async exchange(header: Record<string, unknown>, buffers: ArrayBufferView[], opts: RequestOptions): Promise<Answer> {
    if (this.dead) throw this.dead;
    if (opts.signal?.aborted) throw cancelledError();
    const id = this.nextId++;
    const answer = new Promise<Answer>((resolve, reject) => {
      this.pending = { id, resolve, reject, onSelect: opts.onSelect };
    });
    answer.catch(() => undefined);
    const onAbort = () => this.cancel(id, answer);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.write({ ...header, id }, buffers);
      if (opts.after) await opts.after();
      return await answer;
    } catch (err) {
      // A failure on our side while the runner waits for more of this request: nothing can resume it.
      if (this.pending?.id === id) {
        this.kill();
        this.pending = null;
      }
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Write one frame, honouring back-pressure (weights can be gigabytes). */
  async write(header: object, buffers: ArrayBufferView[] = []): Promise<void> {
    if (this.dead) throw this.dead;
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed) throw this.dead ?? new SoftMoeError('E_ENGINE', `${this.who} is not running.`);
    for (const chunk of encodeFrame(header, buffers)) {
      if (!stdin.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            stdin.off('drain', done);
            this.child.off('exit', done);
            resolve();
          };
          stdin.on('drain', done);
          this.child.once('exit', done);
        });
        if (this.dead) throw this.dead;
      }
    }
  }

  private cancel(id: number, answered: Promise<unknown>): void {
    if (this.dead || this.pending?.id !== id) return;
    this.write({ type: 'cancel', id }).catch(() => undefined);
    const timer = setTimeout(() => {
      if (this.pending?.id === id) this.kill();
    }, CANCEL_GRACE_MS);
    answered.then(() => clearTimeout(timer), () => clearTimeout(timer));
  }

  private onFrame(f: Frame): void {
    const message = parseRunnerMessage(f.header);
    if (!message) {
      this.fail(new SoftMoeError('E_ENGINE', `${this.who} sent a message this tool does not know.`));
      this.kill();
      return;
    }
    if (message.type === 'log') {
      this.onLog?.(message.message);
      return;
    }
    const p = this.pending;
    if (message.type === 'hello' || !p || ('re' in message && message.re !== p.id && message.re !== null)) return;
    if (message.type === 'select') {
      const onSelect = p.onSelect;
      if (!onSelect) {
        this.finish(p, new SoftMoeError('E_ENGINE', `${this.who} asked for expert masks in a request that does not select them.`));
        return;
      }
      Promise.resolve()
        .then(() => onSelect({ message, buffers: f.buffers }))
        .then((reply) => this.write(reply.header, reply.buffers))
        .catch((err: unknown) => {
          // The selection callback failed: stop the pass (the runner answers the cancel) and report that error.
          if (this.pending === p) this.write({ type: 'cancel', id: p.id }).catch(() => undefined);
          this.finish(p, err);
        });
      return;
    }
    if (message.type === 'error') {
      const code = ERROR_CODES[message.code] ?? 'E_ENGINE';
      const err = code === 'E_CANCELLED' ? cancelledError() : new SoftMoeError(code, `PyTorch engine: ${message.message}`);
      if (message.detail) err.stack = `${err.stack ?? ''}\nRunner traceback:\n${message.detail}`;
      this.finish(p, err);
      return;
    }
    this.finish(p, null, { message, buffers: f.buffers });
  }

  private finish(p: Pending, err: unknown, answer?: Answer): void {
    if (this.pending !== p) return;
    this.pending = null;
    if (err) p.reject(err);
    else p.resolve(answer as Answer);
  }

  private fail(err: SoftMoeError): void {
    if (!this.dead) this.dead = err;
    const p = this.pending;
    if (p) {
      this.pending = null;
      p.reject(this.dead);
    }
  }

  private lastWords(): string {
    return words(this.stderrTail, '');
  }

  /** Close the runner's stdin (it exits at once); kill it and its process group if it has not within `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    const exited = new Promise<void>((r) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) r();
      else this.child.once('exit', () => r());
    });
    this.child.stdin?.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    await exited;
    clearTimeout(timer);
    this.fail(new SoftMoeError('E_ENGINE', `${this.who} was stopped.`));
    live.delete(this);
  }

  /** Kill the runner and everything it started, now. */
  kill(): void {
    killTree(this.child);
  }
}

function killTree(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    if (process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** '; it said: <last lines of stderr>' (or nothing). */
function words(tail: readonly string[], partial: string): string {
  const lines = [...tail, partial].map((l) => l.trim()).filter(Boolean);
  if (lines.length === 0) return '';
  const last = lines.slice(-3).join(' | ');
  return `; last output: ${last.length > 400 ? `…${last.slice(-400)}` : last}`;
}
