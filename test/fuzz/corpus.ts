/**
 * The seeds of the campaign: the project's own fixtures and demo files, each with what it is run with. A checkpoint
 * seed is copied with its sidecars and run through `inspect --json`, `eval` on a good dataset and the worker's
 * inspect job; a dataset seed is copied whole and run through `eval` of a good checkpoint and the worker's analyze
 * job. The copies, never the originals, are mutated.
 */
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
/** The built bundles under test (SOFTMOE_FUZZ_DIST points a campaign at another build, e.g. an older commit's). */
export const DIST = process.env.SOFTMOE_FUZZ_DIST ?? join(ROOT, 'dist');

export interface Seed {
  id: string;
  kind: 'checkpoint' | 'dataset';
  /** [source relative to ROOT, destination relative to the case folder]; folders are copied whole. */
  copy: Array<[string, string]>;
  /** What the tool is given, relative to the case folder. */
  target: string;
  /** The file most mutations go to, relative to the case folder (the checkpoint, the images file). */
  main: string;
  /** The unmutated partner, absolute: a dataset for a checkpoint seed, a checkpoint for a dataset seed. */
  partner: string;
}

const DEMO_DATA = join(ROOT, 'media/demo/data');
const IMAGES = join(ROOT, 'test/fixtures/data/images');
const VIT_RGB = join(ROOT, 'test/fixtures/vit/vit_rgb/model.pt');
const MNIST16 = join(ROOT, 'media/demo/models/n16/ep4_moe.safetensors');

function checkpoint(id: string, dir: string, file: string, sidecars: string[], partner: string): Seed {
  return {
    id, kind: 'checkpoint', target: file, main: file, partner,
    copy: [[`${dir}/${file}`, file], ...sidecars.map((s): [string, string] => [`${dir}/${s}`, s])],
  };
}

function dataset(id: string, source: string, name: string, main: string, partner: string, target = name): Seed {
  return { id, kind: 'dataset', copy: [[source, name]], target, main, partner };
}

export const SEEDS: Seed[] = [
  checkpoint('demo-n16-safetensors', 'media/demo/models/n16', 'ep4_moe.safetensors', ['args.json'], DEMO_DATA),
  checkpoint('mnist-torch-zip', 'test/fixtures/io/mnist', 'ep3_moe.pt', ['args.json'], DEMO_DATA),
  checkpoint('mnist-safetensors', 'test/fixtures/io/mnist', 'ep3_moe.safetensors', ['args.json'], DEMO_DATA),
  checkpoint('mnist-n4', 'test/fixtures/engine/mnist_n4', 'model.safetensors', ['args.json'], DEMO_DATA),
  checkpoint('vit-rgb', 'test/fixtures/vit/vit_rgb', 'model.pt', ['config.json'], IMAGES),
  checkpoint('vit-gray', 'test/fixtures/vit/vit_gray', 'model.pt', ['softmoe.json'], IMAGES),
  checkpoint('vit-rgb-stacked', 'test/fixtures/vit/vit_rgb_stacked', 'best_checkpoint.pth', ['config.json'], IMAGES),
  checkpoint('vit-experts-safetensors', 'test/fixtures/io/vit_experts', 'model.safetensors', ['config.json'], IMAGES),
  checkpoint('vit-stacked-pth', 'test/fixtures/io/vit_stacked', 'best_checkpoint.pth', ['config.json'], IMAGES),
  checkpoint('deit', 'test/fixtures/io/deit', 'checkpoint.pth', [], IMAGES),
  checkpoint('lucidrains-deflated', 'test/fixtures/io/lucidrains', 'soft_moe_deflated.pt', [], IMAGES),
  checkpoint('vmoe', 'test/fixtures/io/vmoe', 'vmoe.safetensors', [], IMAGES),
  checkpoint('views', 'test/fixtures/io/views', 'views.pt', [], IMAGES),
  checkpoint('dtypes-pt', 'test/fixtures/io/dtypes', 'all_dtypes.pt', [], IMAGES),
  checkpoint('dtypes-safetensors', 'test/fixtures/io/dtypes', 'all_dtypes.safetensors', [], IMAGES),
  checkpoint('npz', 'test/fixtures/io/numpy', 'arrays.npz', [], IMAGES),
  checkpoint('npz-compressed', 'test/fixtures/io/numpy', 'arrays_compressed.npz', [], IMAGES),
  checkpoint('npy', 'test/fixtures/io/numpy', 'u8.npy', [], IMAGES),
  checkpoint('payload-torch-zip', 'test/fixtures/io/hostile', 'os_system-global-torchzip.pt', [], DEMO_DATA),
  checkpoint('payload-stack-global', 'test/fixtures/io/hostile', 'builtins_exec-stack_global-torchzip.pt', [], DEMO_DATA),
  {
    id: 'sharded', kind: 'checkpoint', target: 'sharded/model.safetensors.index.json', main: 'sharded/model-00001-of-00002.safetensors', partner: IMAGES,
    copy: [['test/fixtures/io/sharded', 'sharded']],
  },
  dataset('demo-idx-gz', 'media/demo/data', 'data', 'data/t10k-images-idx3-ubyte.gz', MNIST16),
  dataset('idx-raw', 'test/fixtures/data/idx/raw', 'raw', 'raw/t10k-images-idx3-ubyte', VIT_RGB),
  dataset('idx-gz', 'test/fixtures/data/idx/gz', 'gz', 'gz/t10k-images-idx3-ubyte.gz', VIT_RGB),
  dataset('cifar10', 'test/fixtures/data/cifar', 'cifar', 'cifar/cifar-10-batches-bin/test_batch.bin', VIT_RGB),
  dataset('npz-nhwc', 'test/fixtures/data/npy/nhwc-float-split.npz', 'data.npz', 'data.npz', VIT_RGB),
  dataset('npz-nchw', 'test/fixtures/data/npy/nchw-uint8.npz', 'data.npz', 'data.npz', VIT_RGB),
  dataset('npz-onehot', 'test/fixtures/data/npy/flat-onehot.npz', 'data.npz', 'data.npz', VIT_RGB),
  dataset('npz-big-endian', 'test/fixtures/data/npy/big-endian.npz', 'data.npz', 'data.npz', VIT_RGB),
  dataset('npy-pair', 'test/fixtures/data/npy-pair', 'pair', 'pair/x_test.npy', VIT_RGB),
  dataset('image-folder', 'test/fixtures/data/images', 'images', 'images/test/cat/a.png', VIT_RGB),
  dataset('image-folder-gray', 'test/fixtures/data/images', 'images', 'images/test/dog/d.jpg', join(ROOT, 'test/fixtures/vit/vit_gray/model.pt')),
];
