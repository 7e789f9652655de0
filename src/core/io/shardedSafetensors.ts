/**
 * Sharded safetensors (`model.safetensors.index.json` with a `weight_map` of tensor name → shard file).
 * Shards must be plain file names in the index's folder; each shard's header is validated like any safetensors file.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { SoftMoeError } from '../errors';
import { FileByteSource } from './fileSource';
import { readSafetensorsHeader, safetensorsEntries } from './safetensors';
import type { ByteSource, Checkpoint, TensorEntry } from './types';
import { bytesText, clip, quoteValue } from '../quote';

/** Largest index file we parse. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

export interface ShardIndex {
  weightMap: Map<string, string>;
  metadata: Record<string, string>;
}

/** Parse and validate the text of an index.json. */
export function parseShardIndex(text: string, label: string): ShardIndex {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SoftMoeError('E_CORRUPT', `${label}: is not valid JSON (${clip((err as Error).message, 80)})`);
  }
  const wm = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof json !== 'object' || json === null || typeof wm !== 'object' || wm === null || Array.isArray(wm)) {
    throw new SoftMoeError('E_FORMAT', `${label}: has no "weight_map" object, so it is not a sharded safetensors index`);
  }
  const weightMap = new Map<string, string>();
  for (const [name, file] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof file !== 'string' || file === '' || file !== basename(file) || file === '.' || file === '..' || file.includes('\\')) {
      throw new SoftMoeError('E_CORRUPT', `${label}: weight_map entry '${clip(name)}' must name a shard file in the same folder (got ${quoteValue(file, 60)})`);
    }
    weightMap.set(name, file);
  }
  const metadata: Record<string, string> = {};
  const md = (json as { metadata?: unknown }).metadata;
  if (typeof md === 'object' && md !== null && !Array.isArray(md)) {
    for (const [k, v] of Object.entries(md)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return { weightMap, metadata };
}

/** Read and parse an index.json (a regular file of at most 64 MiB). */
export async function readShardIndex(indexPath: string): Promise<ShardIndex> {
  const index = await FileByteSource.open(indexPath);
  let text: string;
  try {
    if (index.size > MAX_INDEX_BYTES) throw new SoftMoeError('E_CORRUPT', `${indexPath}: index file is ${bytesText(index.size)}, larger than the 64 MiB limit`);
    text = new TextDecoder().decode(await index.read(0, index.size));
  } finally {
    await index.close();
  }
  return parseShardIndex(text, indexPath);
}

/** Open a sharded checkpoint from its index.json. Opens every shard's header; tensor bytes stay lazy. */
export async function openShardedSafetensors(indexPath: string): Promise<Checkpoint> {
  const { weightMap, metadata } = await readShardIndex(indexPath);
  const dir = dirname(indexPath);
  const sources = new Map<string, { source: ByteSource; entries: Map<string, TensorEntry> }>();
  const closeAll = () => Promise.all([...sources.values()].map((s) => s.source.close())).then(() => undefined);
  try {
    for (const file of new Set(weightMap.values())) {
      const shardPath = join(dir, file);
      const source = await FileByteSource.open(shardPath).catch((err: unknown) => {
        if (err instanceof SoftMoeError && err.code === 'E_NOT_FOUND') {
          throw new SoftMoeError('E_NOT_FOUND', `${indexPath}: shard '${clip(file)}' named in weight_map is missing`);
        }
        throw err;
      });
      sources.set(file, { source, entries: new Map() });
      const header = await readSafetensorsHeader(source, shardPath);
      sources.get(file)!.entries = safetensorsEntries(source, shardPath, header);
    }
    const tensors = new Map<string, TensorEntry>();
    for (const [name, file] of weightMap) {
      const entry = sources.get(file)!.entries.get(name);
      if (!entry) throw new SoftMoeError('E_CORRUPT', `${indexPath}: tensor '${clip(name)}' is mapped to '${clip(file)}' but that shard does not contain it`);
      tensors.set(name, entry);
    }
    let fileSize = 0;
    for (const s of sources.values()) fileSize += s.source.size;
    return {
      path: resolve(indexPath), format: 'safetensors-sharded', fileSize, tensors, stateDictKey: '', metadata, extras: {},
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

