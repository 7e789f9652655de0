// Writes media/demo/data/: the first 2,000 Fashion-MNIST TEST images and labels as gzipped IDX files, named like the
// original t10k files so `openDataset('media/demo/data')` reads them as the test split, plus classes.txt.
//   node scripts/demo-data/make-demo-data.mjs [source folder, default /usr/share/datasets/fashion-mnist] [count]
// The source is Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist).
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { createGunzip, gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const count = Number(process.argv[3] ?? 2000);
const outDir = join(root, 'media', 'demo', 'data');

/** Read the header and the first `n` records of a gzipped IDX file, streaming (stops once it has them). */
async function readHead(path, n) {
  const gunzip = createGunzip();
  const file = createReadStream(path);
  file.pipe(gunzip);
  const chunks = [];
  let have = 0;
  let need = Infinity;
  for await (const c of gunzip) {
    chunks.push(c);
    have += c.length;
    if (need === Infinity && have >= 4) {
      const head = Buffer.concat(chunks);
      const dims = head[3];
      if (have >= 4 + 4 * dims) {
        const shape = Array.from({ length: dims }, (_, i) => head.readUInt32BE(4 + 4 * i));
        if (head[0] !== 0 || head[1] !== 0 || head[2] !== 8) throw new Error(`${path}: not an unsigned-byte IDX file`);
        if (shape[0] < n) throw new Error(`${path} has only ${shape[0]} records`);
        need = 4 + 4 * dims + n * shape.slice(1).reduce((a, b) => a * b, 1);
      }
    }
    if (have >= need) break;
  }
  file.destroy();
  gunzip.destroy();
  const all = Buffer.concat(chunks);
  if (all.length < need) throw new Error(`${path} is truncated`);
  const out = Buffer.from(all.subarray(0, need));
  out.writeUInt32BE(n, 4); // the header now counts n records
  return out;
}

mkdirSync(outDir, { recursive: true });
for (const kind of ['images-idx3', 'labels-idx1']) {
  const name = `t10k-${kind}-ubyte.gz`;
  const data = await readHead(join(src, name), count);
  // mtime 0 and a fixed level keep the output byte-for-byte reproducible.
  const gz = gzipSync(data, { level: 9 });
  gz.writeUInt32LE(0, 4);
  writeFileSync(join(outDir, name), gz);
  console.log(`${name}: ${count} records, ${gz.length} bytes`);
}
writeFileSync(
  join(outDir, 'classes.txt'),
  ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'].join('\n') + '\n',
);
