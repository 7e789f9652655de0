/**
 * args.json of a run, under the argparse names of the paper's training script (beyond-param-count, mnist
 * setting), so tools written for the paper's logs read ours. Fields the paper does not have are prefixed
 * `softmoe_`. Differences from the paper's script: `optimizer` is 'adam' (the paper's published runs), epoch
 * numbers in file names are 1-based counts of finished epochs, and every epoch updates the weights (the paper's
 * script skips the update in its first epoch).
 */
import { PAPER_DIM, PAPER_SLOTS, paperExpertHidden } from './paperMnistSpec';
import { PAPER_MNIST_MEAN, PAPER_MNIST_STD } from '../engine/paperMnistInput';

export interface PaperArgsInput {
  numExperts: number;
  epochs: number;
  lr: number;
  batchSize: number;
  seed: number;
  outDir: string;
  data: string;
  trainExamples: number;
  backend: string;
  half: boolean;
}

export function paperArgs(a: PaperArgsInput): Record<string, unknown> {
  return {
    method: 'soft',
    setting: 'mnist',
    num_epochs: a.epochs,
    lr: a.lr,
    batch_size: a.batchSize,
    optimizer: 'adam',
    flip_pixels: false,
    patch_size: 14,
    num_experts: a.numExperts,
    routing_type: 'soft_moe',
    phi_init: 'uniform',
    num_slots: PAPER_SLOTS,
    expert_out_dim: PAPER_DIM,
    expert_fn_multiplier: 1,
    uniform_d: false,
    uniform_c: false,
    freeze_phi: false,
    encoder: null,
    encoder_out_dim: PAPER_DIM,
    decoder: 'linear',
    num_dummy: 0,
    type_dummy: 'min',
    seed: a.seed,
    save_dir: a.outDir,
    save_interim: true,
    name: `n${a.numExperts}`,
    normalize_moe_input: true,
    softmoe_expert_hidden_dim: paperExpertHidden(a.numExperts),
    softmoe_dataset: a.data,
    softmoe_train_examples: a.trainExamples,
    mean: PAPER_MNIST_MEAN,
    std: PAPER_MNIST_STD,
    softmoe_adam_betas: [0.9, 0.999],
    softmoe_adam_eps: 1e-8,
    softmoe_backend: a.backend,
    softmoe_dtype: a.half ? 'F16' : 'F32',
    softmoe_epoch_naming: 'ep{E}: weights after E finished epochs (1-based)',
  };
}
