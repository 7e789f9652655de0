/** How runs are named on screen and in file names. Pure string work (both path separators accepted). */

/**
 * The name a run goes by on its own (panel titles, headers, toasts, export file names): the checkpoint file with its
 * parent folder, because training scripts name every run's file alike (`n4/ep4_moe.safetensors`,
 * `n16/ep4_moe.safetensors`). A file at the root keeps its bare name.
 */
export function runName(path: string): string {
  return path.split(/[\\/]+/).filter(Boolean).slice(-2).join('/');
}

/** A file-name stem for a run's exports: `n16-ep4_moe` (letters, digits, dot, dash, underscore). */
export function runStem(path: string): string {
  const stem = runName(path).replace(/\.(safetensors|pt|pth|ckpt|bin|npz|npy)$/i, '').replace(/\.softmoe\.json$/i, '');
  return stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'softmoe';
}

/**
 * Short, unique labels for compared runs: each run's `runName` (file and parent folder), with as many further
 * folders as it takes to tell the runs apart (`a/n4/ep4_moe.safetensors` and `b/n4/ep4_moe.safetensors`).
 */
export function runLabels(paths: string[]): string[] {
  const parts = paths.map((p) => p.split(/[\\/]+/).filter(Boolean));
  const labels = parts.map((ps) => ps.slice(-2).join('/'));
  for (let depth = 3; depth <= Math.max(1, ...parts.map((p) => p.length)); depth++) {
    const counts = new Map<string, number>();
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    if ([...counts.values()].every((c) => c === 1)) break;
    parts.forEach((ps, i) => {
      if ((counts.get(labels[i]) ?? 0) > 1) labels[i] = ps.slice(-depth).join('/');
    });
  }
  // The same file twice (or two identical paths): number them so every label stays unique.
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const c = (seen.get(l) ?? 0) + 1;
    seen.set(l, c);
    return c === 1 ? l : `${l} (${c})`;
  });
}
