/**
 * The seeds of the campaign: the project's own fixtures and demo files, each with what it is run with. A checkpoint
 * seed is copied with its sidecars and run through `inspect --json`, `eval` on a good dataset and the worker's
 * inspect job; a dataset seed is copied whole and run through `eval` of a good checkpoint and the worker's analyze
 * job. The copies, never the originals, are mutated.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy, writeZip } from './formats';

export const ROOT = join(__dirname, '..', '..');
/** The built bundles under test (SOFTMOE_FUZZ_DIST points a campaign at another build, e.g. an older commit's). */
export const DIST = process.env.SOFTMOE_FUZZ_DIST ?? join(ROOT, 'dist');

export interface Seed {
  id: string;
  kind: 'checkpoint' | 'dataset';
  /** [source relative to ROOT, destination relative to the case folder]; folders are copied whole. */
  copy: Array<[string, string]>;
  /** Or: make the seed's files in the case folder (generated seeds). */
  build?: (dir: string) => void;
  /** What the tool is given, relative to the case folder. */
  target: string;
  /** The file most mutations go to, relative to the case folder (the checkpoint, the images file). */
  main: string;
  /** The unmutated partner, absolute: a dataset for a checkpoint seed, a checkpoint for a dataset seed. */
  partner: string;
}

// Partners have the seed's class count (a dataset must have exactly the model's classes): 10 for the MNIST models and
// the vit/ fixtures (CIFAR-10), 3 for the io/ ViT fixtures (the 3-class npz).
const DEMO_DATA = join(ROOT, 'media/demo/data');
const CIFAR10 = join(ROOT, 'test/fixtures/data/cifar');
const NPZ3 = join(ROOT, 'test/fixtures/data/npy/nhwc-float-split.npz');
const VIT_RGB = join(ROOT, 'test/fixtures/vit/vit_rgb/model.pt');
const VIT3 = join(ROOT, 'test/fixtures/io/vit_experts/model.safetensors');
const MNIST16 = join(ROOT, 'media/demo/models/n16/ep4_moe.safetensors');

/** Ten class folders of the fixture images (the vit/ fixtures' 10 classes). */
function tenClassImages(dir: string): void {
  const images = ['test/cat/a.png', 'test/cat/b.png', 'test/dog/c.png', 'test/dog/d.jpg'];
  for (let c = 0; c < 10; c++) {
    mkdirSync(join(dir, 'images', 'test', `c${c}`), { recursive: true });
    for (const [i, f] of images.entries()) if (i === 0 || (c + i) % 2 === 0) cpSync(join(ROOT, 'test/fixtures/data/images', f), join(dir, 'images', 'test', `c${c}`, f.split('/').pop() as string));
  }
}

/** An .npz of 20 RGB 6×6 uint8 images and int64 labels 0…9, members deflated (np.savez_compressed). */
function tenClassNpz(dir: string): void {
  const n = 20;
  const x = new Uint8Array(n * 6 * 6 * 3).map((_, i) => (i * 37) % 256);
  const y = new BigInt64Array(n).map((_, i) => BigInt(i % 10));
  writeFileSync(join(dir, 'data.npz'), writeZip([
    { name: 'x_test.npy', data: writeNpy(`{'descr': '|u1', 'fortran_order': False, 'shape': (${n}, 6, 6, 3), }`, x), deflate: true },
    { name: 'y_test.npy', data: writeNpy(`{'descr': '<i8', 'fortran_order': False, 'shape': (${n},), }`, new Uint8Array(y.buffer)), deflate: true },
  ]));
}

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
  checkpoint('vit-rgb', 'test/fixtures/vit/vit_rgb', 'model.pt', ['config.json'], CIFAR10),
  checkpoint('vit-gray', 'test/fixtures/vit/vit_gray', 'model.pt', ['softmoe.json'], CIFAR10),
  checkpoint('vit-rgb-stacked', 'test/fixtures/vit/vit_rgb_stacked', 'best_checkpoint.pth', ['config.json'], CIFAR10),
  checkpoint('vit-experts-safetensors', 'test/fixtures/io/vit_experts', 'model.safetensors', ['config.json'], NPZ3),
  checkpoint('vit-stacked-pth', 'test/fixtures/io/vit_stacked', 'best_checkpoint.pth', ['config.json'], NPZ3),
  checkpoint('deit', 'test/fixtures/io/deit', 'checkpoint.pth', [], CIFAR10),
  checkpoint('lucidrains-deflated', 'test/fixtures/io/lucidrains', 'soft_moe_deflated.pt', [], CIFAR10),
  checkpoint('vmoe', 'test/fixtures/io/vmoe', 'vmoe.safetensors', [], CIFAR10),
  checkpoint('views', 'test/fixtures/io/views', 'views.pt', [], CIFAR10),
  checkpoint('dtypes-pt', 'test/fixtures/io/dtypes', 'all_dtypes.pt', [], CIFAR10),
  checkpoint('dtypes-safetensors', 'test/fixtures/io/dtypes', 'all_dtypes.safetensors', [], CIFAR10),
  checkpoint('npz', 'test/fixtures/io/numpy', 'arrays.npz', [], CIFAR10),
  checkpoint('npz-compressed', 'test/fixtures/io/numpy', 'arrays_compressed.npz', [], CIFAR10),
  checkpoint('npy', 'test/fixtures/io/numpy', 'u8.npy', [], CIFAR10),
  checkpoint('payload-torch-zip', 'test/fixtures/io/hostile', 'os_system-global-torchzip.pt', [], DEMO_DATA),
  checkpoint('payload-stack-global', 'test/fixtures/io/hostile', 'builtins_exec-stack_global-torchzip.pt', [], DEMO_DATA),
  {
    id: 'sharded', kind: 'checkpoint', target: 'sharded/model.safetensors.index.json', main: 'sharded/model-00001-of-00002.safetensors', partner: NPZ3,
    copy: [['test/fixtures/io/sharded', 'sharded']],
  },
  dataset('demo-idx-gz', 'media/demo/data', 'data', 'data/t10k-images-idx3-ubyte.gz', MNIST16),
  dataset('idx-raw', 'test/fixtures/data/idx/raw', 'raw', 'raw/t10k-images-idx3-ubyte', VIT_RGB),
  dataset('idx-gz', 'test/fixtures/data/idx/gz', 'gz', 'gz/t10k-images-idx3-ubyte.gz', VIT_RGB),
  dataset('cifar10', 'test/fixtures/data/cifar', 'cifar', 'cifar/cifar-10-batches-bin/test_batch.bin', VIT_RGB),
  dataset('npz-nhwc', 'test/fixtures/data/npy/nhwc-float-split.npz', 'data.npz', 'data.npz', VIT3),
  dataset('npz-nchw', 'test/fixtures/data/npy/nchw-uint8.npz', 'data.npz', 'data.npz', VIT3),
  dataset('npz-onehot', 'test/fixtures/data/npy/flat-onehot.npz', 'data.npz', 'data.npz', VIT3),
  dataset('npz-big-endian', 'test/fixtures/data/npy/big-endian.npz', 'data.npz', 'data.npz', VIT3),
  dataset('npy-pair', 'test/fixtures/data/npy-pair', 'pair', 'pair/x_test.npy', VIT3),
  { id: 'npz-10-deflated', kind: 'dataset', copy: [], build: tenClassNpz, target: 'data.npz', main: 'data.npz', partner: VIT_RGB },
  { id: 'image-folder', kind: 'dataset', copy: [], build: tenClassImages, target: 'images', main: 'images/test/c0/a.png', partner: VIT_RGB },
  { id: 'image-folder-gray', kind: 'dataset', copy: [], build: tenClassImages, target: 'images', main: 'images/test/c0/a.png', partner: join(ROOT, 'test/fixtures/vit/vit_gray/model.pt') },
];
