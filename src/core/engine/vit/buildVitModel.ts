/**
 * Build a runnable Soft MoE ViT (timm / bwconrad SoftMoEVisionTransformer, per-expert or the paper's stacked-expert
 * naming) from an opened checkpoint and its resolved config:
 *
 *   const config = resolveVitConfig(ckpt.tensors, await readSidecars(ckpt.path), ckpt.path, prefix);
 *   const model = await buildVitModel(ckpt, config, { prefix });
 *
 * See vitModel.ts for the forward pass and how stem / fromFirstMoe split it.
 */
import type { Checkpoint } from '../../io/types';
import type { VitConfig } from './vitConfig';
import { createVitMoeLayer, type VitMoeLayer } from './vitMoeLayer';
import { VitModel } from './vitModel';
import { disposeVitWeights, loadVitWeights } from './vitWeights';

export { resolveVitConfig, IMAGENET_MEAN, IMAGENET_STD, type VitConfig } from './vitConfig';
export { VitModel } from './vitModel';

export interface BuildVitOptions {
  /** In front of every model tensor name ('' or e.g. 'module.'), as architecture detection found it. */
  prefix?: string;
}

export async function buildVitModel(ckpt: Checkpoint, config: VitConfig, opts: BuildVitOptions = {}): Promise<VitModel> {
  const weights = await loadVitWeights(ckpt.tensors, config, ckpt.path, opts.prefix ?? '');
  const layers: Array<VitMoeLayer | undefined> = [];
  try {
    for (const b of weights.blocks) layers.push(b.mlp.kind === 'moe' ? createVitMoeLayer(b.mlp.arrays) : undefined);
  } catch (err) {
    disposeVitWeights(weights);
    for (const l of layers) l?.dispose();
    throw err;
  }
  return new VitModel(config, weights, layers);
}
