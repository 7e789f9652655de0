/**
 * Short, unique labels for compared runs: the file name, with as many parent folders as it takes to tell the runs
 * apart (`n4/ep4_moe.safetensors` and `n16/ep4_moe.safetensors`). Pure string work (both separators accepted).
 */
export function runLabels(paths: string[]): string[] {
  const parts = paths.map((p) => p.split(/[\\/]+/).filter(Boolean));
  const labels = parts.map((ps) => ps.slice(-1).join('/'));
  for (let depth = 2; depth <= Math.max(1, ...parts.map((p) => p.length)); depth++) {
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
