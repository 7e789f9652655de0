/**
 * Every failure the fuzz campaigns found (issue 16's list and our own), kept as a regression case: a fixture under
 * test/fixtures/fuzz/ (made by `node --import tsx test/fuzz/regressions.ts`, deterministic) or, for special files
 * git cannot hold (FIFOs, links to devices), made in a temporary folder by the test. regressions.test.ts runs each
 * through the built CLI under the campaign's limits and checks the specific one-line refusal.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { ROOT } from './corpus';
import { le32, long1, op, serializePickle, unicode, withZip64, writeNpy, writePng, writeSafetensors, writeZip, type PickleOp } from './formats';

export const FIXTURES = join(ROOT, 'test', 'fixtures', 'fuzz');
const VIT_RGB = join(ROOT, 'test/fixtures/vit/vit_rgb/model.pt');
const MNIST16 = join(ROOT, 'media/demo/models/n16/ep4_moe.safetensors');
const DEMO_DATA = join(ROOT, 'media/demo/data');

export interface Regression {
  name: string;
  /** What failed before (the finding), for the test's name. */
  finding: string;
  /** inspect --json of `target`; eval of `target` (a checkpoint) on `partner`; eval of `partner` (a checkpoint) on `target` (a dataset); merge of `target`. */
  probe: 'inspect' | 'eval-checkpoint' | 'eval-data' | 'merge';
  /** Relative to test/fixtures/fuzz, or to the temporary folder when `special` makes it. */
  target: string;
  partner?: string;
  /** The refusal's message, or 'accepted' (exit 0 and valid output). */
  expect: RegExp | 'accepted';
  /** Peak RSS the run may reach (default: the campaign's cap). */
  maxRssBytes?: number;
  /** Makes the case in `dir` (special files). */
  special?: (dir: string) => void;
}

// ---------------------------------------------------------------------------------------------------------------
// builders

function tinySafetensors(): Uint8Array {
  return writeSafetensors(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }), new Uint8Array(8));
}

/** A torch zip of {'w': float tensor of `shape`/`stride` over a storage of `numel` floats, …extra ops as more items}. */
function torchZip(shapeOps: PickleOp[], strideOps: PickleOp[], numel: number, extra: PickleOp[] = [], deflate = false): Uint8Array {
  const g = (m: string, n: string) => op(0x63, Buffer.from(`${m}\n${n}\n`, 'latin1'));
  const ops: PickleOp[] = [
    op(0x80, [2]), g('collections', 'OrderedDict'), op(0x29), op(0x52), op(0x28),
    unicode('w'), g('torch._utils', '_rebuild_tensor_v2'), op(0x28),
    op(0x28), unicode('storage'), g('torch', 'FloatStorage'), unicode('0'), unicode('cpu'), op(0x4a, le32(numel)), op(0x74), op(0x51),
    op(0x4b, [0]), ...shapeOps, ...strideOps, op(0x89), g('collections', 'OrderedDict'), op(0x29), op(0x52), op(0x74), op(0x52),
    ...extra, op(0x75), op(0x2e),
  ];
  return writeZip([
    { name: 'archive/data.pkl', data: serializePickle(ops), deflate },
    { name: 'archive/data/0', data: new Uint8Array(4 * numel), deflate: false },
    { name: 'archive/version', data: Buffer.from('3\n'), deflate: false },
  ]);
}

function png(width: number, height: number, realData: boolean): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const rows = realData ? Buffer.alloc((1 + 4 * width) * height) : Buffer.alloc(1 + 4 * Math.min(width, 4));
  return writePng([{ type: 'IHDR', data: ihdr }, { type: 'IDAT', data: new Uint8Array(deflateSync(rows)) }, { type: 'IEND', data: new Uint8Array(0) }]);
}

function npyU8(shape: number[], data: Uint8Array): Uint8Array {
  return writeNpy(`{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`, data);
}

/** An image folder of the ViT fixtures' 10 classes (c0 … c9), `file` the first image of c0 (read by the first batch). */
function imageFolder(dir: string, file: string, bytes: Uint8Array): void {
  for (let c = 0; c < 10; c++) {
    mkdirSync(join(dir, 'test', `c${c}`), { recursive: true });
    cpSync(join(ROOT, 'test/fixtures/data/images/test/dog/c.png'), join(dir, 'test', `c${c}`, 'z.png'));
  }
  writeFileSync(join(dir, 'test', 'c0', file), bytes);
}

/** Ten IDX images, gzipped, behind a header that promises `count`. */
function lyingIdxGz(count: number): Uint8Array {
  const raw = Buffer.alloc(16 + 10 * 784);
  raw.writeUInt32BE(0x00000803, 0);
  raw.writeUInt32BE(count, 4);
  raw.writeUInt32BE(28, 8);
  raw.writeUInt32BE(28, 12);
  return new Uint8Array(gzipSync(raw));
}

function labelsIdx(n: number): Uint8Array {
  const b = Buffer.alloc(8 + n);
  b.writeUInt32BE(0x00000801, 0);
  b.writeUInt32BE(n, 4);
  return new Uint8Array(gzipSync(b));
}

/** Write every committed fixture. */
export function makeFixtures(out = FIXTURES): void {
  rmSync(out, { recursive: true, force: true });
  const put = (rel: string, bytes: Uint8Array | string): void => {
    mkdirSync(join(out, rel, '..'), { recursive: true });
    writeFileSync(join(out, rel), bytes);
  };
  put('deep-sidecar/model.safetensors', tinySafetensors());
  put('deep-sidecar/config.json', `{"num_heads": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
  put('bigint-shape.pt', torchZip([long1(2n ** 70n), op(0x85)], [op(0x4b, [1]), op(0x85)], 2));
  const deep: PickleOp[] = [];
  for (let i = 0; i < 100_000; i++) deep.push(op(0x5d));
  for (let i = 0; i < 99_999; i++) deep.push(op(0x61));
  put('deep-key.pt', torchZip([op(0x4b, [2]), op(0x85)], [op(0x4b, [1]), op(0x85)], 2, [...deep, op(0x85), op(0x4b, [1])]));
  put('deep-value.pt', torchZip([op(0x4b, [2]), op(0x85)], [op(0x4b, [1]), op(0x85)], 2, [unicode('deep'), ...deep]));
  imageFolder(join(out, 'images-1x16m'), 'long.png', png(1, 16_000_000, true));
  imageFolder(join(out, 'images-elongated'), 'wide.png', png(30_000, 1, true));
  imageFolder(join(out, 'images-no-frame'), 'x.jpg', Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9]));
  // An .npz dataset whose x.npy says its header is 0 bytes long (the reader used to copy 12 bytes into 10).
  const x = npyU8([2, 4, 4], new Uint8Array(32));
  const short = new Uint8Array(x);
  short[8] = 0;
  short[9] = 0;
  put('npz-short-header/data.npz', writeZip([{ name: 'x.npy', data: short, deflate: false }, { name: 'y.npy', data: npyU8([2], new Uint8Array(2)), deflate: false }]));
  // An .npz whose first member's local header lost its signature (yauzl: 'invalid local file header signature').
  const npz = writeZip([{ name: 'x.npy', data: x, deflate: true }, { name: 'y.npy', data: npyU8([2], new Uint8Array(2)), deflate: true }]);
  const badLocal = new Uint8Array(npz);
  badLocal[0] = 0x51;
  put('npz-bad-local-header/data.npz', badLocal);
  // A torch zip whose deflated data.pkl claims more compressed bytes than the file has ('file data overflows file bounds').
  const pt = torchZip([op(0x4b, [2]), op(0x85)], [op(0x4b, [1]), op(0x85)], 2, [], true);
  const overflow = new Uint8Array(pt);
  const end = overflow.length - 22;
  const cd = new DataView(overflow.buffer).getUint32(end + 16, true);
  new DataView(overflow.buffer).setUint32(cd + 20, 0x7fffffff, true);
  put('pt-data-overflow.pt', overflow);
  put('npz-zip64-offset/data.npz', withZip64(npz, { endOffset: 2n ** 64n - 1n }));
  put('zip-200001-entries.npz', withZip64(writeZip([{ name: 'x.npy', data: x, deflate: false }]), { entries: 200_001n }));
  put('idx-gz-lying/t10k-images-idx3-ubyte.gz', lyingIdxGz(60_000));
  put('idx-gz-lying/t10k-labels-idx1-ubyte.gz', labelsIdx(60_000));
  put('pickle-long-global.pt', torchZip([op(0x4b, [2]), op(0x85)], [op(0x4b, [1]), op(0x85)], 2, [unicode('x'), op(0x63, Buffer.from(`torch\n${'x'.repeat(5000)}\n`, 'latin1'))]));
  put('empty-huge.safetensors', writeSafetensors(JSON.stringify({ w: { dtype: 'F32', shape: [0, 1e12], data_offsets: [0, 0] } }), new Uint8Array(0)));
  put('shape-3000-ones.safetensors', writeSafetensors(JSON.stringify({ w: { dtype: 'F32', shape: new Array(3000).fill(1), data_offsets: [0, 4] } }), new Uint8Array(4)));
  put('dtype-long.safetensors', writeSafetensors(JSON.stringify({ w: { dtype: 'a'.repeat(5000), shape: [1], data_offsets: [0, 4] } }), new Uint8Array(4)));
  const labels = Buffer.from(writeNpy(`{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }`, new Uint8Array(new Int32Array([1, 2_130_706_434]).buffer)));
  put('npy-huge-label/x_test.npy', npyU8([2, 4, 4], new Uint8Array(32)));
  put('npy-huge-label/y_test.npy', labels);
}

// ---------------------------------------------------------------------------------------------------------------

function fifo(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  execFileSync('mkfifo', [path]);
}

function link(to: string, path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  symlinkSync(to, path);
}

export const REGRESSIONS: Regression[] = [
  { name: 'deep-sidecar', finding: 'inspect --json on deeply nested data: Maximum call stack size exceeded', probe: 'inspect', target: 'deep-sidecar/model.safetensors', expect: /config\.json nests deeper than 32 levels/ },
  { name: 'deep-key', finding: 'a pickle dict keyed by a list nested 100,000 deep (String(key) recursed)', probe: 'inspect', target: 'deep-key.pt', expect: 'accepted' },
  { name: 'deep-value', finding: 'a pickle value nested 100,000 deep', probe: 'inspect', target: 'deep-value.pt', expect: 'accepted' },
  { name: 'bigint-shape', finding: 'inspect of a pickle with a huge integer argument: Do not know how to serialize a BigInt', probe: 'inspect', target: 'bigint-shape.pt', expect: /tensor shape \["1180591620717411303424"\] is not a list of non-negative integers/ },
  { name: 'images-1x16m', finding: 'a 1×16,000,000 PNG exhausted the heap in the PNG decoder', probe: 'eval-data', target: 'images-1x16m', partner: VIT_RGB, expect: /image long\.png is 1×16000000: outside the sizes we decode/ },
  { name: 'images-elongated', finding: 'extreme aspect ratios exhausted the heap in the ViT resize', probe: 'eval-data', target: 'images-elongated', partner: VIT_RGB, expect: /wide\.png is 30000×1: too elongated to resize to 24×24/ },
  { name: 'images-no-frame', finding: "a mutated image: 'Invalid typed array length: Infinity' (fitImage)", probe: 'eval-data', target: 'images-no-frame', partner: VIT_RGB, expect: /cannot decode image .*x\.jpg: truncated or corrupt JPEG \(no start-of-frame segment\)/ },
  { name: 'npz-short-header', finding: "eval on .npz data: 'offset is out of bounds' (npyArray open)", probe: 'eval-data', target: 'npz-short-header/data.npz', partner: VIT_RGB, expect: /data\.npz:x: npy header is not a valid dict literal/ },
  { name: 'npz-bad-local-header', finding: "yauzl's 'invalid local file header signature' surfaced as an internal error", probe: 'eval-data', target: 'npz-bad-local-header/data.npz', partner: VIT_RGB, expect: /zip entry 'x\.npy' cannot be read \(invalid local file header signature/ },
  { name: 'pt-data-overflow', finding: "yauzl's 'file data overflows file bounds' surfaced as an internal error", probe: 'inspect', target: 'pt-data-overflow.pt', expect: /zip entry 'archive\/data\.pkl' claims 2\.0 GiB \(2,147,483,647 bytes\) of data in a file of \d+ bytes/ },
  { name: 'npz-zip64-offset', finding: 'a zip64 offset of 2^64−1 in an npz dataset escaped as an uncaught RangeError', probe: 'eval-data', target: 'npz-zip64-offset/data.npz', partner: VIT_RGB, expect: /data\.npz: read of 56 bytes at offset \d+ is outside the file \(421 bytes\)/ },
  { name: 'zip-200001-entries', finding: 'a zip of 200,001 entries took 8 s to refuse', probe: 'inspect', target: 'zip-200001-entries.npz', expect: /zip directory lists 200,001 entries, more than the 200,000/ },
  { name: 'idx-gz-lying', finding: 'IDX .gz dimensions that lie exhausted the heap', probe: 'eval-data', target: 'idx-gz-lying', partner: MNIST16, expect: /t10k-images-idx3-ubyte\.gz is truncated or corrupt: its header promises 44\.9 MiB .* more than a gzip file of \d+ bytes can hold/ },
  { name: 'pickle-long-global', finding: 'a refused pickle global of 5,000 characters echoed whole (our long campaign, seed 1601)', probe: 'inspect', target: 'pickle-long-global.pt', expect: /refuses to load pickle global 'torch\.x{30,}… \(5006 characters\)' \(only tensors and containers are read\)/ },
  { name: 'empty-huge', finding: 'safetensors shapes that lie exceeded the RSS cap', probe: 'eval-checkpoint', target: 'empty-huge.safetensors', partner: DEMO_DATA, expect: /shape \[0, 1000000000000\] is empty but its other dimensions ask for 1,000,000,000,000 elements/ },
  { name: 'shape-3000-ones', finding: 'a message echoing a shape of 3,000 ones', probe: 'inspect', target: 'shape-3000-ones.safetensors', expect: /tensor 'w' has 3000 dimensions \(at most 64 are read\)/ },
  { name: 'dtype-long', finding: "a message echoing a dtype string of 'aaaa…'", probe: 'inspect', target: 'dtype-long.safetensors', expect: /tensor 'w' has an unknown dtype "a{20,30}… \(5002 characters\)/ },
  { name: 'npy-huge-label', finding: 'one npy label of 2,130,706,434 made 2.1 billion classes', probe: 'eval-data', target: 'npy-huge-label', partner: VIT_RGB, expect: /y_test\.npy: label 2130706434 would make 2,130,706,435 classes, more than the 100,000/ },
  { name: 'deflate-bomb', finding: 'an .npz deflate bomb was inflated whole to read a 12-byte header', probe: 'inspect', target: '../io/hostile/bomb.npz', expect: 'accepted', maxRssBytes: 400_000_000 },
  // Special files, made in a temporary folder.
  { name: 'fifo-checkpoint', finding: 'inspect of a FIFO named like a checkpoint waited forever', probe: 'inspect', target: 'model.safetensors', expect: /model\.safetensors: is a FIFO \(named pipe\), not a regular file/, special: (d) => fifo(join(d, 'model.safetensors')) },
  {
    name: 'fifo-dataset', finding: 'eval of a FIFO named like a dataset file waited forever', probe: 'eval-data', target: 'data', partner: MNIST16,
    expect: /t10k-images-idx3-ubyte: is a FIFO \(named pipe\), not a regular file/,
    special: (d) => {
      fifo(join(d, 'data', 't10k-images-idx3-ubyte'));
      cpSync(join(DEMO_DATA, 't10k-labels-idx1-ubyte.gz'), join(d, 'data', 't10k-labels-idx1-ubyte.gz'));
    },
  },
  {
    name: 'image-links-to-zero', finding: 'an image folder whose .png links to an endless device grew without bound', probe: 'eval-data', target: 'images', partner: VIT_RGB,
    expect: /cannot read image .*a\.png: is a character device, not a regular file/,
    special: (d) => {
      imageFolder(join(d, 'images'), 'b.png', png(4, 4, true));
      link('/dev/zero', join(d, 'images', 'test', 'c0', 'a.png'));
    },
  },
  {
    name: 'classes-links-to-zero', finding: 'a class list linked to an endless device was read without a size cap', probe: 'eval-data', target: 'data', partner: MNIST16,
    expect: /classes\.txt: is a character device, not a regular file/,
    special: (d) => {
      cpSync(DEMO_DATA, join(d, 'data'), { recursive: true });
      rmSync(join(d, 'data', 'classes.txt'));
      link('/dev/zero', join(d, 'data', 'classes.txt'));
    },
  },
  {
    name: 'sidecar-long-value', finding: 'a message of 200,118 characters quoting a sidecar value (our campaign, seed 16 on the original main)', probe: 'eval-checkpoint',
    target: 'vit/model.pt', partner: join(ROOT, 'test/fixtures/data/images'),
    expect: /config\.json: "std" is "y+… \(200002 characters\); expected 3 positive numbers/,
    special: (d) => {
      mkdirSync(join(d, 'vit'));
      cpSync(VIT_RGB, join(d, 'vit', 'model.pt'));
      const config = JSON.parse(readFileSync(join(VIT_RGB, '..', 'config.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(d, 'vit', 'config.json'), JSON.stringify({ ...config, std: 'y'.repeat(200_000) }));
    },
  },
  {
    // In a folder like the campaign's (its temporary folder, case-18), so the line is as long as it was there.
    name: 'layer-only-long-message', finding: 'a lucidrains layer without a built-in model around it: a 549-character refusal (our campaign, seed 7)', probe: 'eval-checkpoint',
    target: 'case-18/soft_moe_deflated.pt', partner: join(ROOT, 'test/fixtures/data/cifar'),
    expect: /soft_moe_deflated\.pt: 1 lucidrains Soft MoE layer \(at the top level; n = 4, p = 2, d = 8\) outside the built-in models \(softmoe inspect says why\); run it through your own code: --engine torch/,
    special: (d) => {
      mkdirSync(join(d, 'case-18'));
      cpSync(join(ROOT, 'test/fixtures/io/lucidrains/soft_moe_deflated.pt'), join(d, 'case-18', 'soft_moe_deflated.pt'));
    },
  },
  { name: 'merge-fifo', finding: 'merge of a part that is a FIFO waited forever (found in review)', probe: 'merge', target: 'part-0.json', expect: /part-0\.json: is a FIFO \(named pipe\), not a regular file/, special: (d) => fifo(join(d, 'part-0.json')) },
  {
    name: 'sidecar-fifo', finding: 'a sidecar that is a FIFO', probe: 'inspect', target: 'run/model.safetensors',
    expect: /config\.json is not a regular file/,
    special: (d) => {
      mkdirSync(join(d, 'run'));
      writeFileSync(join(d, 'run', 'model.safetensors'), tinySafetensors());
      fifo(join(d, 'run', 'config.json'));
    },
  },
];

if (require.main === module) {
  makeFixtures();
  process.stdout.write(`wrote ${FIXTURES}\n`);
}
