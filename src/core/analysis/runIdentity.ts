/**
 * The ONE definition of "the same run": every input that can change an analysis result (see RunIdentity in
 * schema.ts). The extension's result cache is keyed by it, `merge` accepts only shards of one identity, Compare Runs
 * keys its runs by it, and a panel restored after a reload checks that its result's identity still holds.
 *
 * Files are stamped by size, mtime and ctime (stat, links followed) — cheap enough for every Analyze, and ctime
 * changes on any rewrite even when a copy tool keeps the mtime. Options are normalised so that two requests that
 * must give the same result get the same identity (defaults filled in; an option no selector of the run uses is
 * left out), and two that may differ never do.
 *
 * Adding an input (an engine, a device, a Python path, a file a sidecar names): add its field to RunIdentity or
 * RunOptions in schema.ts and fill it in `runIdentity`/`runOptions` here — one line each; the key, the cache, merge,
 * Compare and the serializers follow.
 */
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { datasetInputFiles } from '../data/openDataset';
import { stampFile } from '../io/fileSource';
import type { EngineSelection } from '../engine/openEngine';
import type { ExecutionSettings } from '../protocol/workerProtocol';
import { checkpointInputFiles } from '../io/openCheckpoint';
import { sidecarPaths } from '../model/sidecar';
import { TOOL_VERSION } from '../version';
import { DEFAULT_CALIBRATION, parseCalibrationSpec } from './globalSelection';
import type { AnalyzeOptions } from './options';
import { SCHEMA_VERSION, type DropMode, type FileStamp, type RunIdentity, type RunOptions } from './schema';
import { SELECTOR_NAMES, type SelectorName } from './selectorRegistry';

/**
 * The engine selection of an analyze job's execution settings: what the worker hands analyzeCheckpoint, and so what
 * the host keys its cache by (extension/cacheKey.ts) — one mapping for both.
 */
export function executionEngine(e: ExecutionSettings): EngineSelection {
  return {
    ...(e.backend === 'auto' ? {} : { backend: e.backend }),
    ...(e.engine === 'torch' ? { engine: 'torch' as const, torch: { ...(e.python ? { python: e.python } : {}), device: e.device ?? 'auto' } } : {}),
  };
}

/** What of the engine selection can change a result, as run options (the built-in engine's tfjs backend cannot). */
export function engineRunOptions(s: EngineSelection): { engine?: string; python?: string; device?: string } {
  return { ...(s.engine ? { engine: s.engine } : {}), ...(s.torch?.python ? { python: s.torch.python.path } : {}), ...(s.torch?.device ? { device: s.torch.device } : {}) };
}

/** What a run is asked to do: the paths as given and the analysis options (unresolved, as a user gives them). */
export interface RunRequest {
  checkpoint: string;
  dataset: string;
  split?: 'train' | 'test';
  options: Pick<AnalyzeOptions, 'selectors' | 'drops' | 'trials' | 'seed' | 'ks' | 'target' | 'samples' | 'batchSize' | 'oracleBudget'> & { limit?: number | null; engine?: string; python?: string; device?: string; calibration?: string; calibrationData?: string; globalRanking?: string };
  /** Default: this build's version. */
  toolVersion?: string;
}

/** JSON with object keys sorted, so key order never changes a hash. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The options that can change a result, normalised as `resolveOptions` would resolve them. */
export function runOptions(o: RunRequest['options']): RunOptions {
  const requested: SelectorName[] = o.selectors && o.selectors.length > 0 ? o.selectors : ['heuristic', 'random'];
  const selectors = SELECTOR_NAMES.filter((s) => s === 'heuristic' || requested.includes(s));
  const drops: DropMode[] = o.drops && o.drops.length > 0 ? [...new Set(o.drops)] : ['zero'];
  const random = selectors.includes('random');
  const engine = o.engine ?? 'tfjs';
  return {
    engine,
    ...(engine === 'tfjs' ? {} : { python: o.python ?? 'python3', device: o.device ?? 'auto' }),
    selectors,
    drops,
    trials: random ? (o.trials ?? 10) : 0,
    seed: random ? (o.seed ?? 0) : 0,
    ks: o.ks && o.ks.length > 0 ? [...new Set(o.ks)].sort((a, b) => a - b) : null,
    target: o.target ?? 0.99,
    samples: o.samples ?? 64,
    limit: o.limit ?? null,
    ...(selectors.includes('oracle') ? { oracleBudget: o.oracleBudget ?? 65536 } : {}),
    ...(selectors.includes('batch') ? { batchSize: o.batchSize ?? 256 } : {}),
    ...(selectors.includes('global')
      ? { calibration: o.calibration ?? DEFAULT_CALIBRATION, calibrationData: o.calibrationData ? resolve(o.calibrationData) : null, globalRanking: o.globalRanking ?? 'eliminate' }
      : {}),
  };
}

/** More dataset files than this are recorded by their count and digest, not one by one. */
export const MAX_LISTED_FILES = 100;

function fileSet(stamps: FileStamp[]): { files: FileStamp[]; digest?: { count: number; sha256: string } } {
  if (stamps.length <= MAX_LISTED_FILES) return { files: stamps };
  return { files: [], digest: { count: stamps.length, sha256: createHash('sha256').update(stableStringify(stamps)).digest('hex') } };
}

/** The identity of a run as its inputs are now. Reads folder listings, file stamps and a shard index, nothing else. */
export async function runIdentity(req: RunRequest): Promise<RunIdentity> {
  const checkpoint = resolve(req.checkpoint);
  const split = req.split ?? 'test';
  const dataset = req.dataset.includes(',') ? req.dataset.split(',').map((p) => resolve(p.trim())).join(',') : resolve(req.dataset);
  // The checkpoint first, so its errors come before the dataset's, as when the run itself opens them.
  const ckptFiles = await checkpointInputFiles(checkpoint);
  const dataFiles = await datasetInputFiles(dataset, split);
  const stamps = (paths: string[]): Promise<FileStamp[]> => Promise.all(paths.map((p) => stampFile(resolve(p))));
  const options = runOptions(req.options);
  let calibration: RunIdentity['calibration'];
  if (options.calibration !== undefined) {
    const path = options.calibrationData ?? dataset;
    const calSplit = parseCalibrationSpec(options.calibration).split;
    calibration = { path, split: calSplit, ...fileSet(await stamps(await datasetInputFiles(path, calSplit))) };
  }
  return {
    tool: { name: 'softmoe-inspector', version: req.toolVersion ?? TOOL_VERSION },
    schema: SCHEMA_VERSION.split('.')[0] as string,
    checkpoint: { path: checkpoint, files: await stamps(ckptFiles) },
    sidecars: await stamps(sidecarPaths(checkpoint)),
    dataset: { path: dataset, split, ...fileSet(await stamps(dataFiles)) },
    ...(calibration ? { calibration } : {}),
    options,
  };
}

/** The same request again, for the inputs as they are now (a restored panel checks its result against it). */
export function requestOf(id: RunIdentity): RunRequest {
  const { ks, calibrationData, ...rest } = id.options;
  return { checkpoint: id.checkpoint.path, dataset: id.dataset.path, split: id.dataset.split, options: { ...rest, ...(ks ? { ks } : {}), ...(calibrationData ? { calibrationData } : {}) }, toolVersion: TOOL_VERSION };
}

/** The identity's key: 40 hex digits of SHA-256 over its stable JSON. */
export function runKey(id: RunIdentity): string {
  return createHash('sha256').update(stableStringify(id)).digest('hex').slice(0, 40);
}

export function isRunKey(s: string): boolean {
  return /^[0-9a-f]{40}$/.test(s);
}

/** The run of a result as it records it: `{key, identity}`. */
export function runRecord(identity: RunIdentity): { key: string; identity: RunIdentity } {
  return { key: runKey(identity), identity };
}

function stampText(s: FileStamp | undefined): string {
  if (!s) return 'not read';
  if ('missing' in s) return 'missing';
  return `${s.size.toLocaleString('en-US')} bytes, modified ${new Date(s.mtimeMs).toISOString()}`;
}

function filesDifference(what: string, a: FileStamp[], b: FileStamp[]): string | undefined {
  const byPath = new Map(b.map((s) => [s.path, s]));
  for (const s of a) {
    const t = byPath.get(s.path);
    if (stableStringify(s) !== stableStringify(t)) return `${what} ${basename(s.path)} is not the same file (${stampText(s)}; now ${stampText(t)})`;
  }
  const extra = b.find((s) => !a.some((x) => x.path === s.path));
  return extra ? `${what} ${basename(extra.path)} is read now but was not then` : undefined;
}

/**
 * The first way `now` differs from `then`, in words ('the checkpoint ep4.safetensors changed (…)'), or undefined when
 * they are the same run. For messages: a restored panel that is out of date, two shards of different runs.
 */
export function identityDifference(then: RunIdentity, now: RunIdentity): string | undefined {
  if (then.tool.version !== now.tool.version) return `it was made by softmoe-inspector ${then.tool.version}, this is ${now.tool.version}`;
  if (then.schema !== now.schema) return `its result schema ${then.schema} is not this tool's ${now.schema}`;
  if (then.checkpoint.path !== now.checkpoint.path) return `the checkpoint is ${then.checkpoint.path}, not ${now.checkpoint.path}`;
  const ck = filesDifference('the checkpoint file', then.checkpoint.files, now.checkpoint.files);
  if (ck) return ck;
  const side = filesDifference('the sidecar', then.sidecars, now.sidecars);
  if (side) return side;
  if (then.dataset.path !== now.dataset.path || then.dataset.split !== now.dataset.split) {
    return `the dataset is ${then.dataset.path} (${then.dataset.split}), not ${now.dataset.path} (${now.dataset.split})`;
  }
  const data = filesDifference('the dataset file', then.dataset.files, now.dataset.files);
  if (data) return data;
  if (then.calibration && now.calibration) {
    const cal = filesDifference('the calibration file', then.calibration.files, now.calibration.files);
    if (cal) return cal;
    if (stableStringify(then.calibration.digest) !== stableStringify(now.calibration.digest)) return "the calibration split's files changed";
  }
  if (stableStringify(then.dataset.digest) !== stableStringify(now.dataset.digest)) {
    return `the dataset's files changed (${then.dataset.digest?.count ?? then.dataset.files.length} files then, ${now.dataset.digest?.count ?? now.dataset.files.length} now)`;
  }
  for (const k of new Set([...Object.keys(then.options), ...Object.keys(now.options)]) as Set<keyof RunOptions>) {
    if (stableStringify(then.options[k]) !== stableStringify(now.options[k])) {
      const text = (v: unknown): string => (v === undefined ? 'unset' : stableStringify(v));
      return `option ${k} was ${text(then.options[k])}, now ${text(now.options[k])}`;
    }
  }
  return stableStringify(then) === stableStringify(now) ? undefined : 'its inputs differ';
}
