/**
 * Write a checkpoint that keeps only some experts of every Soft MoE layer, in the SAME key layout as the source:
 * the router's columns (Φ [d, n] / [d, n, p], lucidrains' slot embeddings [n, p, d], vmoe's `Router/mu`) and the
 * expert weights of dropped experts are removed, the kept experts are renumbered 0…k−1 in their original order, every
 * other tensor is copied unchanged (same name, shape and dtype). Removing an expert's router slots removes them from
 * both softmaxes, so the pruned model computes exactly the `renorm` drop of the full model with that subset.
 *
 * The sidecars that describe the model (args.json, config.json, softmoe.json) are written beside the output with
 * `num_experts` set to k (softmoe.json's model factory keeps importing the same code, for the PyTorch engine), which
 * is why the output must be in another folder than a source that has sidecars. The
 * source is only read; outputs go through a temporary file and a rename; nothing existing is replaced unless
 * `overwrite` is set (the CLI's --force, or the user's answer in the editor).
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { SoftMoeError } from '../errors';
import { openCheckpoint } from '../io/openCheckpoint';
import type { Checkpoint, DType, TensorEntry } from '../io/types';
import { writeSafetensors, type TensorToWrite } from '../io/writeSafetensors';
import { detectSoftMoeLayers } from '../model/detect';
import type { DetectedLayer } from '../model/detectedLayer';
import { readSidecars, type JsonObject } from '../model/sidecar';

export interface PruneOptions {
  /** Replace existing output files (the checkpoint and its sidecars). Default false: refuse. */
  overwrite?: boolean;
  /** Recorded in the output's safetensors metadata (e.g. how the subset was chosen). */
  note?: string;
}

export interface PrunedLayer {
  name: string;
  layout: string;
  numExperts: number;
  /** Source expert indices kept, ascending; kept expert j of the output is source expert kept[j]. */
  kept: number[];
}

export interface PruneReport {
  source: string;
  output: string;
  /** Sidecar files written beside the output. */
  sidecars: string[];
  layers: PrunedLayer[];
  parametersBefore: number;
  parametersAfter: number;
  bytesWritten: number;
  /** Meta tensors of the source (shape only, no data) that a safetensors file cannot hold and were left out. */
  metaSkipped: number;
}

/** How the tensors of one expert of a layer are named: a per-expert container, or one stacked tensor per weight. */
interface LayerPlan {
  det: DetectedLayer;
  kept: number[];
  /** source index → new index, or −1 when dropped */
  renumber: Int32Array;
  /** per-expert layouts: `<container><e>.<rest>` */
  container?: string;
  /** stacked tensors (expert axis 0). */
  stacked: Set<string>;
}

const EXPERT_NAME = /^((?:.*\.)?experts\.)(\d{1,6})\.(.+)$/;

/** Parameters of one expert of each layer: its router slots and all its weights (what pruning one expert removes). */
export function parametersPerExpert(ckpt: Pick<Checkpoint, 'tensors'>, layers: DetectedLayer[]): number[] {
  return layers.map((det) => {
    const n = det.numExperts;
    let total = (ckpt.tensors.get(det.router)?.numel ?? 0) / n;
    const stacked = stackedTensors(det);
    if (stacked.length > 0) {
      for (const name of stacked) total += (ckpt.tensors.get(name)?.numel ?? 0) / n;
    } else {
      const container = containerOf(det);
      let sum = 0;
      for (const [name, t] of ckpt.tensors) {
        const m = EXPERT_NAME.exec(name);
        if (m && m[1] === container && Number(m[2]) < n) sum += t.numel;
      }
      total += sum / n;
    }
    return total;
  });
}

/** Tensors that hold every expert along axis 0: stacked MLPs (ViT stacked, vmoe) and fkodom's stacked linear maps. */
function stackedTensors(det: DetectedLayer): string[] {
  const x = det.experts;
  if (x.kind === 'stacked') return [x.fc1, x.fc2, x.fc1Bias, x.fc2Bias].filter((v): v is string => v !== undefined);
  if (x.kind === 'linear') return [x.weight, x.bias].filter((v): v is string => v !== undefined);
  return [];
}

function containerOf(det: DetectedLayer): string {
  if (det.experts.kind !== 'per-expert') throw new SoftMoeError('E_INTERNAL', 'Internal error: a stacked layer has no expert container.');
  const m = EXPERT_NAME.exec(det.experts.fc1[0] as string);
  if (!m) throw new SoftMoeError('E_UNSUPPORTED', `Layer '${det.name}': cannot tell the expert index in '${det.experts.fc1[0]}', so its experts cannot be renumbered.`);
  return m[1] as string;
}

function checkKept(det: DetectedLayer, kept: readonly number[]): number[] {
  const n = det.numExperts;
  const label = det.name === '' ? 'the Soft MoE layer' : `layer '${det.name}'`;
  const sorted = [...new Set(kept)].sort((a, b) => a - b);
  if (sorted.length !== kept.length) throw new SoftMoeError('E_USAGE', `Experts to keep in ${label} are listed twice: ${kept.join(', ')}.`);
  if (sorted.length === 0) throw new SoftMoeError('E_USAGE', `Keep at least one expert in ${label}.`);
  for (const e of sorted) if (!Number.isInteger(e) || e < 0 || e >= n) throw new SoftMoeError('E_USAGE', `Expert ${e} does not exist in ${label} (experts 0–${n - 1}).`);
  return sorted;
}

/** Slice `data` of `shape` along `axis`, keeping the indices `kept`. */
export function sliceAxis(data: Float32Array, shape: readonly number[], axis: number, kept: readonly number[]): { data: Float32Array; shape: number[] } {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const size = shape[axis] as number;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(outer * kept.length * inner);
  for (let o = 0; o < outer; o++) {
    kept.forEach((e, j) => {
      const src = (o * size + e) * inner;
      out.set(data.subarray(src, src + inner), (o * kept.length + j) * inner);
    });
  }
  const s = [...shape];
  s[axis] = kept.length;
  return { data: out, shape: s };
}

/** Expert axis of a router tensor. */
function routerAxis(det: DetectedLayer): number {
  return det.routerAxes === 'npd' ? 0 : 1;
}

/** Sidecar values that count experts: set to k (only where they equal the source's n). */
const EXPERT_COUNT_KEYS = ['num_experts', 'n_experts', 'numExperts', 'experts'];

/** The sidecar with its expert counts set to k, at any depth (a config's sub-objects, softmoe.json's model.kwargs). */
function updatedSidecar(obj: JsonObject, n: number, k: number): JsonObject {
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(obj)) {
    out[key] = EXPERT_COUNT_KEYS.includes(key) && v === n ? k
      : v !== null && typeof v === 'object' && !Array.isArray(v) ? updatedSidecar(v as JsonObject, n, k) : v;
  }
  return out;
}

/**
 * softmoe.json moved to the pruned checkpoint's folder: the model factory's `pythonPath` (folders relative to the
 * softmoe.json, by default its own) is rewritten relative to the new folder, so the PyTorch engine imports the same
 * code from there. A malformed entry is left as it is (opening either checkpoint says what is wrong with it).
 */
function movedSoftmoe(softmoe: JsonObject, fromDir: string, toDir: string): JsonObject {
  const model = softmoe.model;
  if (model === null || typeof model !== 'object' || Array.isArray(model)) return softmoe;
  const m = model as JsonObject;
  const raw = m.pythonPath ?? [];
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p.length > 0)) return softmoe;
  const folders = (list.length ? (list as string[]) : ['.']).map((p) => (isAbsolute(p) ? p : relative(toDir, resolve(fromDir, p)) || '.'));
  return { ...softmoe, model: { ...m, pythonPath: folders } };
}

/**
 * Prune `sourcePath` to the experts `keep[l]` of each Soft MoE layer l (in the order `detectSoftMoeLayers` gives) and
 * write `outputPath` (safetensors) plus updated sidecars beside it.
 */
export async function pruneCheckpoint(sourcePath: string, outputPath: string, keep: readonly (readonly number[])[], opts: PruneOptions = {}): Promise<PruneReport> {
  const source = resolve(sourcePath);
  const output = resolve(outputPath);
  await plannedSidecars(source, output, undefined, undefined, opts.overwrite === true);
  const ckpt = await openCheckpoint(source);
  try {
    const layers = detectSoftMoeLayers(ckpt.tensors);
    if (layers.length === 0) throw new SoftMoeError('E_UNSUPPORTED', `${source}: no Soft MoE layer to prune.`);
    if (keep.length !== layers.length) {
      throw new SoftMoeError('E_USAGE', `${source} has ${layers.length} Soft MoE layer(s); got experts to keep for ${keep.length}.`);
    }
    const plans: LayerPlan[] = layers.map((det, l) => {
      if (det.routerAxes === 'dynamic') {
        throw new SoftMoeError('E_UNSUPPORTED', `${source}: layer '${det.name}' computes its slots from runs of n tokens (lucidrains DynamicSlotsSoftMoE), so removing experts would change every slot; it cannot be pruned to a subset of its experts.`);
      }
      const kept = checkKept(det, keep[l] as number[]);
      const renumber = new Int32Array(det.numExperts).fill(-1);
      kept.forEach((e, j) => (renumber[e] = j));
      const x = det.experts;
      return {
        det, kept, renumber,
        ...(x.kind === 'per-expert' ? { container: containerOf(det) } : {}),
        stacked: new Set(stackedTensors(det)),
      };
    });
    const ks = new Set(plans.map((p) => p.kept.length));
    const ns = new Set(plans.map((p) => p.det.numExperts));

    const embedded = ckpt.extras.args;
    const embeddedArgs = typeof embedded === 'object' && embedded !== null && !Array.isArray(embedded) ? (embedded as JsonObject) : undefined;
    const sidecarOut = await plannedSidecars(source, output, [...ns], [...ks], opts.overwrite === true, embeddedArgs);
    const outDir = dirname(output);

    const byName = new Map<string, { plan: LayerPlan; what: 'router' | 'stacked' }>();
    for (const plan of plans) {
      byName.set(plan.det.router, { plan, what: 'router' });
      for (const s of plan.stacked) byName.set(s, { plan, what: 'stacked' });
    }
    const byContainer = new Map<string, LayerPlan>();
    for (const plan of plans) if (plan.container) byContainer.set(plan.container, plan);

    const tensors: TensorToWrite[] = [];
    let parametersBefore = 0;
    let parametersAfter = 0;
    let metaSkipped = 0;
    for (const [name, entry] of ckpt.tensors) {
      // Meta tensors (shape and dtype, no data: the paper's vmap `base_expert.*`) have nothing to copy.
      if (entry.meta) {
        metaSkipped++;
        continue;
      }
      parametersBefore += entry.numel;
      const special = byName.get(name);
      let out: TensorToWrite | null;
      if (special) {
        const axis = special.what === 'router' ? routerAxis(special.plan.det) : 0;
        const sliced = sliceAxis(await read(entry, source), entry.shape, axis, special.plan.kept);
        out = { name, dtype: entry.dtype, shape: sliced.shape, data: sliced.data };
      } else {
        const m = EXPERT_NAME.exec(name);
        const plan = m ? byContainer.get(m[1] as string) : undefined;
        if (m && plan) {
          const e = Number(m[2]);
          const j = e < plan.det.numExperts ? (plan.renumber[e] as number) : -1;
          out = j < 0 ? null : { name: `${m[1]}${j}.${m[3]}`, dtype: entry.dtype, shape: [...entry.shape], data: await read(entry, source) };
        } else {
          out = { name, dtype: entry.dtype, shape: [...entry.shape], data: await read(entry, source) };
        }
      }
      if (out) {
        parametersAfter += out.data.length;
        tensors.push(out);
      }
    }
    const sourceMeta: Record<string, string> = { ...ckpt.metadata };
    if (ks.size === 1 && ns.size === 1) {
      for (const key of EXPERT_COUNT_KEYS) if (sourceMeta[key] === String([...ns][0])) sourceMeta[key] = String([...ks][0]);
    }
    const metadata: Record<string, string> = {
      ...sourceMeta,
      'softmoe.pruned_from': basename(source),
      'softmoe.kept_experts': JSON.stringify(plans.map((p) => p.kept)),
      ...(opts.note ? { 'softmoe.pruned_by': opts.note } : {}),
    };
    await mkdir(outDir, { recursive: true });
    await writeSafetensors(output, tensors, metadata);
    for (const [file, value] of sidecarOut) await writeJsonAtomic(file, value);
    const bytesWritten = tensors.reduce((s, t) => s + t.data.length * bytesOf(t.dtype), 0);
    return {
      source, output, sidecars: sidecarOut.map(([f]) => f),
      layers: plans.map((p) => ({ name: p.det.name, layout: p.det.layout, numExperts: p.det.numExperts, kept: p.kept })),
      parametersBefore, parametersAfter, bytesWritten, metaSkipped,
    };
  } finally {
    await ckpt.close();
  }
}

/**
 * The sidecars to write beside `output` (the source's, with the expert count changed), after checking that writing
 * them and `output` replaces nothing it must not: not the source's own sidecars, not existing files unless
 * `overwrite`. `ns`/`ks`: the distinct expert counts before and after over the layers (undefined: not known yet).
 */
export async function plannedSidecars(sourcePath: string, outputPath: string, ns?: number[], ks?: number[], overwrite = false, embeddedArgs?: JsonObject): Promise<Array<[string, JsonObject]>> {
  const source = resolve(sourcePath);
  const output = resolve(outputPath);
  if (output === source) throw new SoftMoeError('E_USAGE', `The pruned checkpoint cannot replace its source ${source}; choose another --out.`);
  if (!/\.safetensors$/i.test(output)) throw new SoftMoeError('E_USAGE', `${output}: the pruned checkpoint is written as safetensors; give the file a .safetensors name.`);
  const sidecars = await readSidecars(source);
  const out: Array<[string, JsonObject]> = [];
  const outDir = dirname(output);
  // Training arguments saved inside the source (DeiT's `args`) do not survive as safetensors: they go to args.json,
  // which the tool consults just before them, unless the source has an args.json of its own.
  const args = sidecars.args ?? embeddedArgs;
  const softmoe = sidecars.softmoe ? movedSoftmoe(sidecars.softmoe, dirname(source), outDir) : undefined;
  for (const [key, value] of [['args', args], ['config', sidecars.config], ['softmoe', softmoe]] as const) {
    if (!value) continue;
    if (ns && ks && (ks.length !== 1 || ns.length !== 1)) {
      throw new SoftMoeError('E_USAGE', `${source}: ${key}.json holds one expert count for the whole model, so every layer must keep the same number of experts.`);
    }
    out.push([join(outDir, `${key}.json`), ns && ks ? updatedSidecar(value, ns[0] as number, ks[0] as number) : value]);
  }
  if (out.length > 0 && resolve(outDir) === resolve(dirname(source))) {
    throw new SoftMoeError('E_USAGE', `${basename(output)} would share ${out.map(([f]) => basename(f)).join(', ')} with its source, which describe(s) the source's experts: write the pruned checkpoint into another folder.`);
  }
  if (!overwrite) {
    const existing = [output, ...out.map(([f]) => f)].filter((f) => existsSync(f));
    if (existing.length > 0) throw new SoftMoeError('E_USAGE', `${existing.join(', ')} already exist(s); nothing was written (use --force to replace).`);
  }
  return out;
}

async function read(entry: TensorEntry, source: string): Promise<Float32Array> {
  if (!['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'].includes(entry.dtype)) {
    throw new SoftMoeError('E_UNSUPPORTED', `${source}: tensor ${entry.name} has dtype ${entry.dtype}, which cannot be copied.`);
  }
  return entry.readFloat32();
}

function bytesOf(dtype: DType): number {
  return ({ F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 } as const)[dtype];
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new SoftMoeError('E_NOT_FOUND', `${path}: cannot write (${(err as { code?: string }).code ?? String(err)})`, { cause: err });
  }
}
