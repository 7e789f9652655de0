/**
 * Sidecar files beside a checkpoint: `args.json` (the paper's MNIST training arguments), `config.json` (the ViT
 * constructor's keyword names and timm's data config) and `softmoe.json` (our own overrides). They are read as
 * JSON data only — never imported, evaluated or executed — and each is capped in size.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SoftMoeError } from '../errors';

export type JsonObject = Record<string, unknown>;

export interface Sidecars {
  args?: JsonObject;
  config?: JsonObject;
  softmoe?: JsonObject;
  /** Absolute paths of the sidecar files that were read. */
  files: string[];
  /**
   * Training arguments saved INSIDE the checkpoint (the `args` argparse Namespace of DeiT/timm training scripts),
   * consulted after every file: a file beside the checkpoint overrides them. `file` is the checkpoint's path.
   */
  checkpointArgs?: { file: string; key: string; values: JsonObject };
}

/** `sidecars` plus the checkpoint's own `args` record, when it holds one as an object (see `Sidecars.checkpointArgs`). */
export function withCheckpointArgs(sidecars: Sidecars, ckpt: { path: string; extras: Record<string, unknown> }): Sidecars {
  const args = ckpt.extras.args;
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return sidecars;
  return { ...sidecars, checkpointArgs: { file: ckpt.path, key: 'args', values: args as JsonObject } };
}

/** Sidecars are small hand-written JSON; anything larger is refused rather than read. */
export const SIDECAR_MAX_BYTES = 1 << 20;

const SIDECAR_NAMES = ['args', 'config', 'softmoe'] as const;

/** The sidecar files looked for beside a checkpoint, present or not (a run's identity stamps each). */
export function sidecarPaths(checkpointPath: string): string[] {
  return SIDECAR_NAMES.map((key) => join(dirname(checkpointPath), `${key}.json`));
}

/** Read the sidecars that exist in the checkpoint's folder. Missing files are fine; broken ones are E_CONFIG. */
export async function readSidecars(checkpointPath: string): Promise<Sidecars> {
  const dir = dirname(checkpointPath);
  const out: Sidecars = { files: [] };
  for (const key of SIDECAR_NAMES) {
    const file = join(dir, `${key}.json`);
    const value = await readJsonObject(file);
    if (value === undefined) continue;
    out[key] = value;
    out.files.push(file);
  }
  return out;
}

/** undefined when the file does not exist. */
async function readJsonObject(file: string): Promise<JsonObject | undefined> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new SoftMoeError('E_CONFIG', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  // A FIFO or device would block or never end; only regular files are read.
  if (!info.isFile()) throw new SoftMoeError('E_CONFIG', `${file} is not a regular file`);
  if (info.size > SIDECAR_MAX_BYTES) {
    throw new SoftMoeError('E_CONFIG', `${file} is ${info.size} bytes; sidecar JSON files are limited to ${SIDECAR_MAX_BYTES} bytes`);
  }
  const bytes = await readCapped(file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new SoftMoeError('E_CONFIG', `${file} is not UTF-8 text`, { cause: err });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SoftMoeError('E_CONFIG', `${file}: invalid JSON ${jsonErrorWhere(err, text)}`, { cause: err });
  }
  if (jsonDepth(value) > SIDECAR_MAX_DEPTH) {
    throw new SoftMoeError('E_CONFIG', `${file} nests deeper than ${SIDECAR_MAX_DEPTH} levels; sidecars hold flat settings`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SoftMoeError('E_CONFIG', `${file}: expected a JSON object ({…}) at the top level, found ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as JsonObject;
}

/** Deepest nesting a sidecar may have (every reader and printer of it can then recurse safely). */
export const SIDECAR_MAX_DEPTH = 32;

/** How deeply a parsed JSON value nests (iteratively: the value may be a million levels deep). */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop() as [unknown, number];
    if (d > max) max = d;
    if (max > 10_000) return max;
    if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) stack.push([x, d + 1]);
  }
  return max;
}

/**
 * Read at most SIDECAR_MAX_BYTES + 1 bytes, whatever stat said (the file may grow between stat and read). The open
 * never waits on a FIFO swapped in after the stat (O_NONBLOCK), and the opened handle must be a regular file.
 */
async function readCapped(file: string): Promise<Uint8Array> {
  const fh = await open(file, constants.O_RDONLY | (process.platform === 'win32' ? 0 : constants.O_NONBLOCK));
  try {
    if (!(await fh.stat()).isFile()) throw new SoftMoeError('E_CONFIG', `${file} is not a regular file`);
    const buf = new Uint8Array(SIDECAR_MAX_BYTES + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) throw new SoftMoeError('E_CONFIG', `${file} is larger than ${SIDECAR_MAX_BYTES} bytes; sidecar JSON files are limited to that`);
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/** 'at line L column C: <what V8 said>', on one line. */
export function jsonErrorWhere(err: unknown, text: string): string {
  const message = err instanceof Error ? err.message : String(err);
  const what = message.replace(/\s+/g, ' ').replace(/, (\.\.\.)?".*" is not valid JSON$/, '').replace(/ at position \d+/, '').replace(/ in JSON$/, '').slice(0, 120);
  const offset = jsonErrorOffset(text);
  return offset === null ? what : `at ${lineColumn(text, offset)}: ${what}`;
}

/**
 * Offset of the first character that makes `text` invalid JSON (text.length when it ends too early), or null
 * when it parses. V8 does not always say where ("Unexpected token '}', … is not valid JSON"), so find the shortest
 * prefix that fails for a reason other than ending early, by bisection (a prefix of a valid-so-far prefix is too).
 */
export function jsonErrorOffset(text: string): number | null {
  if (!failsInside(text)) {
    try {
      JSON.parse(text);
      return null;
    } catch {
      return text.length;
    }
  }
  let lo = 0; // failsInside(text.slice(0, lo)) is false
  let hi = text.length; // failsInside(text.slice(0, hi)) is true
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (failsInside(text.slice(0, mid))) hi = mid;
    else lo = mid;
  }
  return hi - 1;
}

/** True when `prefix` fails to parse before its end (not merely because it stops early). */
function failsInside(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (err) {
    const m = err instanceof Error ? err.message : '';
    if (/end of JSON input/i.test(m)) return false;
    const pos = /at position (\d+)/.exec(m);
    return !(pos && Number(pos[1]) >= prefix.length);
  }
}

/** 'line L column C' (1-based) of a character offset. */
function lineColumn(text: string, offset: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else col++;
  }
  return `line ${line} column ${col}`;
}
