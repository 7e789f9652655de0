/**
 * Sidecar files beside a ViT checkpoint: what the tensor shapes cannot tell (heads, image size, normalisation).
 *
 * The caller (loadModel) reads the files that exist (src/core/model/sidecar.ts) and hands their parsed JSON here;
 * this module never touches the file system. A key is looked up at the top level of each file, then inside
 * the nestings training tools write (`model`, `kwargs` — so softmoe.json's `model.kwargs` count —, `init_args`,
 * `model_args`, `model_kwargs`, `pretrained_cfg`, `data_config`, `args`), first file first; the checkpoint's own
 * `args` record (DeiT) comes after every file.
 */
/** Looked up in this order; the first file that has a key wins. */
export const VIT_SIDECAR_NAMES = ['softmoe.json', 'config.json', 'args.json'] as const;

export interface SidecarFile {
  /** Path of the file, as shown in messages. */
  path: string;
  values: Record<string, unknown>;
  /** 'checkpoint': the record saved inside the checkpoint (its key in `keyPrefix`). Default 'sidecar'. */
  kind?: 'sidecar' | 'checkpoint';
  keyPrefix?: string;
}

export interface SidecarValue {
  value: unknown;
  /** Path of the file it came from (for 'checkpoint', with the record's key: `…/checkpoint.pth (args)`). */
  file: string;
  /** The key it was found under (for 'checkpoint', as `args.<key>`). */
  key: string;
  kind: 'sidecar' | 'checkpoint';
  /** The file's path alone. */
  path: string;
}

const NESTINGS = ['model', 'kwargs', 'init_args', 'model_args', 'model_kwargs', 'pretrained_cfg', 'data_config', 'args'];

/**
 * The sidecars as src/core/model/sidecar.ts `readSidecars` returns them (structurally: parsed JSON per file and the
 * paths that were read), turned into a lookup list in priority order: softmoe.json, config.json, args.json.
 */
export interface VitSidecarsInput {
  softmoe?: Record<string, unknown>;
  config?: Record<string, unknown>;
  args?: Record<string, unknown>;
  /** Paths of the files that were read. */
  files: readonly string[];
  /** The checkpoint's own training arguments (src/core/model/sidecar.ts `withCheckpointArgs`). */
  checkpointArgs?: { file: string; key: string; values: Record<string, unknown> };
}

export function sidecarFiles(input: VitSidecarsInput): SidecarFile[] {
  const out: SidecarFile[] = [];
  for (const name of VIT_SIDECAR_NAMES) {
    const key = name.slice(0, -'.json'.length) as 'softmoe' | 'config' | 'args';
    const values = input[key];
    if (!values) continue;
    out.push({ path: input.files.find((f) => baseName(f) === name) ?? name, values });
  }
  const ca = input.checkpointArgs;
  if (ca) out.push({ path: ca.file, values: ca.values, kind: 'checkpoint', keyPrefix: ca.key });
  return out;
}

export function findSidecarValue(files: readonly SidecarFile[], key: string): SidecarValue | undefined {
  for (const f of files) {
    const v = findIn(f.values, key, 0);
    if (v === undefined) continue;
    if (f.kind === 'checkpoint') {
      return { value: v, file: `${f.path} (${f.keyPrefix ?? 'args'})`, key: `${f.keyPrefix ?? 'args'}.${key}`, kind: 'checkpoint', path: f.path };
    }
    return { value: v, file: f.path, key, kind: 'sidecar', path: f.path };
  }
  return undefined;
}

function findIn(obj: Record<string, unknown>, key: string, depth: number): unknown {
  const direct = obj[key];
  if (direct !== undefined && direct !== null) return direct;
  if (depth >= 3) return undefined;
  for (const nest of NESTINGS) {
    const inner = obj[nest];
    if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) {
      const v = findIn(inner as Record<string, unknown>, key, depth + 1);
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

/** `add "num_heads": <int> to softmoe.json beside /path/model.pt` (or to the softmoe.json that exists). */
export function sidecarAdvice(field: string, example: string, files: readonly SidecarFile[], checkpointPath: string): string {
  const existing = files.find((f) => baseName(f.path) === 'softmoe.json');
  const where = existing ? existing.path : `softmoe.json beside ${checkpointPath}`;
  return `add "${field}": ${example} to ${where}`;
}

function baseName(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] ?? p;
}
