/**
 * A checkpoint in the paper's MNIST key layout (phi, normalization_scale_param, experts.{e}.1/3.weight,
 * decoder.1.weight), F32 and all zeros, of any size: written SPARSE (only the header is written; ftruncate makes the
 * rest, costing no disk) for multi-gigabyte files, or as bytes for small ones. For header-first checks (a model
 * predicting 1000 classes, 3-channel tokens) and memory benchmarks; the weights never matter there.
 */
import { open } from 'node:fs/promises';

export interface PaperMnistShape {
  /** Token width d (196 for 14×14 grey patches of 28×28 images). */
  d: number;
  /** Experts n. */
  n: number;
  /** Expert hidden width h. */
  h: number;
  classes: number;
  /** Tokens per input (4 for 28×28 in 14×14 patches). */
  tokens: number;
}

/** The 8-byte length, the JSON header, and how many bytes of tensor data follow. */
function header(o: PaperMnistShape): { head: Buffer; dataBytes: number } {
  const entries: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  const add = (name: string, shape: number[]): void => {
    const len = 4 * shape.reduce((a, b) => a * b, 1);
    entries[name] = { dtype: 'F32', shape, data_offsets: [at, at + len] };
    at += len;
  };
  add('phi', [o.d, o.n]);
  add('normalization_scale_param', [1]);
  for (let e = 0; e < o.n; e++) {
    add(`experts.${e}.1.weight`, [o.h, o.d]);
    add(`experts.${e}.3.weight`, [o.d, o.h]);
  }
  add('decoder.1.weight', [o.classes, o.tokens * o.d]);
  const json = Buffer.from(JSON.stringify(entries));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return { head: Buffer.concat([len, json]), dataBytes: at };
}

/** Writes the checkpoint sparse at `path`; returns its size in bytes. */
export async function writeSparsePaperMnist(path: string, o: PaperMnistShape): Promise<number> {
  const { head, dataBytes } = header(o);
  const fh = await open(path, 'w');
  try {
    await fh.write(head, 0, head.length, 0);
    await fh.truncate(head.length + dataBytes);
  } finally {
    await fh.close();
  }
  return head.length + dataBytes;
}

/** The whole file as bytes (small checkpoints only). */
export function paperMnistBytes(o: PaperMnistShape): Uint8Array {
  const { head, dataBytes } = header(o);
  return Buffer.concat([head, Buffer.alloc(dataBytes)]);
}
