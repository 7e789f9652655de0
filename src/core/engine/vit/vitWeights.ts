/**
 * Read a Soft MoE ViT's tensors (resolved by `resolveVitConfig`) into tfjs tensors laid out for `vitOps`:
 * linear weights transposed to [in, out] and the patch embedding as a [ph·pw·C, D] matrix. Everything except the
 * Soft MoE layers: those are built by the one mapping (engine/layerFromCheckpoint.ts), see buildVitModel.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError } from '../../errors';
import type { TensorEntry } from '../../io/types';
import type { VitConfig } from './vitConfig';
import type { LinearWeights, NormWeights, QkvWeights } from './vitOps';
import { transpose2d } from '../transpose2d';

export type VitBlockMlpArrays =
  | { kind: 'dense'; fc1: LinearWeights; fc2: LinearWeights }
  /** The block's Soft MoE layer lives in the model's layer list, built from its detected layer. */
  | { kind: 'moe' };

export interface VitBlockWeights {
  norm1: NormWeights;
  qkv: QkvWeights;
  proj: LinearWeights;
  norm2: NormWeights;
  ls1?: tf.Tensor1D;
  ls2?: tf.Tensor1D;
  mlp: VitBlockMlpArrays;
}

export interface VitWeights {
  patch: LinearWeights;
  /** [1, 1, D] */
  cls?: tf.Tensor3D;
  /** [1, tokens, D] */
  pos: tf.Tensor3D;
  normPre?: NormWeights;
  norm?: NormWeights;
  fcNorm?: NormWeights;
  head: LinearWeights;
  blocks: VitBlockWeights[];
  /** Parameters read, without the Soft MoE layers' (base_expert.* and anything else unused are not counted). */
  parameterCount: number;
}

export async function loadVitWeights(
  tensors: ReadonlyMap<string, TensorEntry>,
  config: VitConfig,
  checkpointPath: string,
  prefix = '',
): Promise<VitWeights> {
  let parameterCount = 0;
  const created: tf.Tensor[] = [];
  const raw = async (name: string): Promise<Float32Array> => {
    const e = tensors.get(prefix + name);
    if (!e) throw new SoftMoeError('E_SHAPE', `${checkpointPath}: tensor ${prefix}${name} is missing.`);
    const data = await e.readFloat32();
    if (data.length !== e.numel) throw new SoftMoeError('E_CORRUPT', `${checkpointPath}: tensor ${prefix}${name} read ${data.length} values, expected ${e.numel}.`);
    parameterCount += data.length;
    return data;
  };
  const keep = <T extends tf.Tensor>(t: T): T => {
    created.push(t);
    return t;
  };
  const vec = async (name: string): Promise<tf.Tensor1D> => keep(tf.tensor1d(await raw(name)));
  const lin = async (name: string, hasBias = true): Promise<LinearWeights> => {
    const shape = tensors.get(prefix + name + '.weight')?.shape ?? [];
    const [out, inn] = [shape[0] ?? 0, shape[1] ?? 0];
    const w = keep(tf.tensor2d(transpose2d(await raw(name + '.weight'), out, inn), [inn, out]));
    return hasBias ? { w, b: await vec(name + '.bias') } : { w };
  };
  /** Fused [3D, D] qkv → three [D, D] linears (rows 0…D-1 are q, then k, then v). */
  const qkv = async (name: string, hasBias: boolean): Promise<QkvWeights> => {
    const D = config.embedDim;
    const w = await raw(name + '.weight');
    const b = hasBias ? await raw(name + '.bias') : undefined;
    const part = (i: number): LinearWeights => {
      const wT = keep(tf.tensor2d(transpose2d(w.subarray(i * D * D, (i + 1) * D * D), D, D), [D, D]));
      return b ? { w: wT, b: keep(tf.tensor1d(b.subarray(i * D, (i + 1) * D))) } : { w: wT };
    };
    return { q: part(0), k: part(1), v: part(2) };
  };
  const ln = async (name: string): Promise<NormWeights> => ({ g: await vec(name + '.weight'), b: await vec(name + '.bias') });

  try {
    const D = config.embedDim;
    const [ph, pw] = config.patchSize;
    const C = config.inChans;
    const pe = await raw('patch_embed.proj.weight'); // [D, C, ph, pw]
    const patchW = new Float32Array(ph * pw * C * D);
    for (let d = 0; d < D; d++) {
      for (let c = 0; c < C; c++) {
        for (let y = 0; y < ph; y++) {
          for (let x = 0; x < pw; x++) patchW[((y * pw + x) * C + c) * D + d] = pe[((d * C + c) * ph + y) * pw + x];
        }
      }
    }
    const patch: LinearWeights = { w: keep(tf.tensor2d(patchW, [ph * pw * C, D])), b: await vec('patch_embed.proj.bias') };
    const cls = config.classToken ? keep(tf.tensor3d(await raw('cls_token'), [1, 1, D])) : undefined;
    const posShape = tensors.get(prefix + 'pos_embed')?.shape ?? [];
    const pos = keep(tf.tensor3d(await raw('pos_embed'), [1, posShape[1] ?? 0, D]));

    const blocks: VitBlockWeights[] = [];
    for (const bc of config.blocks) {
      const p = bc.prefix;
      const block: VitBlockWeights = {
        norm1: await ln(`${p}.norm1`),
        qkv: await qkv(`${p}.attn.qkv`, bc.qkvBias),
        proj: await lin(`${p}.attn.proj`),
        norm2: await ln(`${p}.norm2`),
        mlp: bc.mlp.kind === 'dense'
          ? { kind: 'dense', fc1: await lin(`${p}.mlp.fc1`), fc2: await lin(`${p}.mlp.fc2`) }
          : { kind: 'moe' },
      };
      if (bc.layerScale) {
        block.ls1 = await vec(`${p}.ls1.gamma`);
        block.ls2 = await vec(`${p}.ls2.gamma`);
      }
      blocks.push(block);
    }
    const weights: VitWeights = {
      patch, cls, pos, blocks, head: await lin('head'), parameterCount: 0,
    };
    if (config.normPre) weights.normPre = await ln('norm_pre');
    if (config.norm) weights.norm = await ln('norm');
    if (config.fcNorm) weights.fcNorm = await ln('fc_norm');
    weights.parameterCount = parameterCount;
    return weights;
  } catch (err) {
    for (const t of created) t.dispose();
    throw err;
  }
}

export function disposeVitWeights(w: VitWeights): void {
  const all: Array<tf.Tensor | undefined> = [w.patch.w, w.patch.b, w.cls, w.pos, w.head.w, w.head.b];
  for (const n of [w.normPre, w.norm, w.fcNorm]) if (n) all.push(n.g, n.b);
  for (const b of w.blocks) {
    all.push(b.norm1.g, b.norm1.b, b.norm2.g, b.norm2.b, b.qkv.q.w, b.qkv.q.b, b.qkv.k.w, b.qkv.k.b, b.qkv.v.w, b.qkv.v.b, b.proj.w, b.proj.b, b.ls1, b.ls2);
    if (b.mlp.kind === 'dense') all.push(b.mlp.fc1.w, b.mlp.fc1.b, b.mlp.fc2.w, b.mlp.fc2.b);
  }
  for (const t of all) t?.dispose();
}
