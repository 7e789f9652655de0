/**
 * Build a runnable Soft MoE ViT (timm names around the blocks; any Soft MoE layout in a block's MLP slot) from an
 * opened checkpoint and its resolved config:
 *
 *   const config = resolveVitConfig(ckpt.tensors, await readSidecars(ckpt.path), ckpt.path, prefix);
 *   const model = await buildVitModel(ckpt, config, { prefix });
 *
 * The ViT's own weights come from vitWeights.ts; each Soft MoE block's layer comes from the one mapping shared with
 * every architecture (engine/layerFromCheckpoint.ts). See vitModel.ts for the forward pass and the stem split.
 */
import type { Checkpoint } from '../../io/types';
import { disposeLayerWeights, layerFromCheckpoint } from '../layerFromCheckpoint';
import type { SoftMoeLayer } from '../softMoeLayer';
import type { VitConfig } from './vitConfig';
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
  const tokens = config.grid[0] * config.grid[1] + (config.classToken ? 1 : 0);
  const layers: Array<SoftMoeLayer | undefined> = [];
  try {
    for (const b of config.blocks) layers.push(b.mlp.kind === 'moe' ? await layerFromCheckpoint(ckpt, b.mlp.layer, { tokens }) : undefined);
  } catch (err) {
    disposeVitWeights(weights);
    for (const l of layers) if (l) disposeLayerWeights(l);
    throw err;
  }
  return new VitModel(config, weights, layers);
}
