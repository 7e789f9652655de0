// Streams the Fashion-MNIST test set (10,000 gzipped IDX images) at batch 256 and prints examples/s and peak RSS.
//   npm run bench -- dataset      (needs /usr/share/datasets/fashion-mnist, or pass a dataset path as argument)
import { existsSync } from 'node:fs';
import { openDataset } from '../src/core/data/openDataset';

async function main(): Promise<void> {
  const path = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
  if (!existsSync(path)) {
    console.log(`skipped: ${path} not found (apt-get install dataset-fashion-mnist)`);
    return;
  }
  const rssBefore = process.memoryUsage().rss;
  for (const split of ['test', 'train'] as const) {
    const ds = await openDataset(path, { split });
    const t0 = performance.now();
    let n = 0;
    let checksum = 0;
    for await (const b of ds.batches(256)) {
      n += b.size;
      checksum += b.x[b.x.length - 1];
    }
    const s = (performance.now() - t0) / 1000;
    console.log(`${ds.name}: ${n} examples in ${s.toFixed(2)} s = ${Math.round(n / s)} examples/s (checksum ${checksum.toFixed(3)})`);
    await ds.close();
  }
  const peakMB = process.resourceUsage().maxRSS / 1024;
  console.log(`peak RSS ${peakMB.toFixed(0)} MB (process at start ${(rssBefore / 1e6).toFixed(0)} MB); a whole decompressed train set would be 47 MB of bytes, 188 MB as float32`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
