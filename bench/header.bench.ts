// Opening the header of a 2 GiB safetensors file: how long openCheckpoint() takes and how many bytes it reads.
// The file is SPARSE (ftruncate), so it costs no disk; it is deleted at the end. Aim: < 100 ms, no tensor data read.
//   npm run bench -- header
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CountingByteSource } from '../src/core/io/fileSource';
import { openCheckpoint } from '../src/core/io/openCheckpoint';

const TENSORS = 2048;
const TENSOR_BYTES = 1 << 20; // 2048 × 1 MiB = 2 GiB of F32 data
const RUNS = 9;

async function makeSparse(path: string): Promise<{ headerBytes: number; fileSize: number }> {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (let i = 0; i < TENSORS; i++) {
    const layer = Math.floor(i / 16);
    header[`blocks.${layer}.mlp.experts.${i % 16}.fc1.weight`] = {
      dtype: 'F32', shape: [512, 512], data_offsets: [i * TENSOR_BYTES, (i + 1) * TENSOR_BYTES],
    };
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const fileSize = 8 + json.length + TENSORS * TENSOR_BYTES;
  const fh = await open(path, 'w');
  try {
    await fh.write(len, 0, 8, 0);
    await fh.write(json, 0, json.length, 8);
    await fh.truncate(fileSize);
  } finally {
    await fh.close();
  }
  return { headerBytes: json.length, fileSize };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'softmoe-bench-'));
  const path = join(dir, 'sparse-2g.safetensors');
  try {
    const { headerBytes, fileSize } = await makeSparse(path);
    const times: number[] = [];
    let counted: CountingByteSource | undefined;
    let tensors = 0;
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      const ck = await openCheckpoint(path, { wrapSource: (s) => (counted = new CountingByteSource(s)) });
      times.push(performance.now() - t0);
      tensors = ck.tensors.size;
      await ck.close();
    }
    const bytesAtOpen = counted!.bytesRead;
    const readsAtOpen = counted!.reads;
    // One lazy tensor read, to show that reading a tensor reads exactly that tensor.
    const ck = await openCheckpoint(path, { wrapSource: (s) => (counted = new CountingByteSource(s)) });
    const before = counted!.bytesRead;
    const t1 = performance.now();
    await ck.tensors.values().next().value!.readFloat32();
    const readMs = performance.now() - t1;
    const tensorRead = counted!.bytesRead - before;
    await ck.close();
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    const gib = (fileSize / 2 ** 30).toFixed(2);
    console.log(`file: ${gib} GiB sparse safetensors, ${tensors} tensors, header ${headerBytes} bytes`);
    console.log(`openCheckpoint: median ${median.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms over ${RUNS} runs (aim < 100 ms)`);
    console.log(`bytes read at open: ${bytesAtOpen} in ${readsAtOpen} reads (header is ${8 + headerBytes} bytes; tensor data read: ${Math.max(0, bytesAtOpen - 8 - headerBytes - 16)} bytes)`);
    console.log(`one tensor read: ${tensorRead} bytes (${TENSOR_BYTES} expected) in ${readMs.toFixed(1)} ms`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
