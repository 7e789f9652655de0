/** What "Prune Experts…" writes, as pure functions (no vscode): the kept experts and the output's name. */

/** The experts kept per layer at k: the first k of each layer's global order, ascending. */
export function keptAt(orders: number[][], k: number): number[][] {
  return orders.map((o) => o.slice(0, k).sort((a, b) => a - b));
}

/** The file name a pruned checkpoint gets: `<stem>-k<K>.safetensors`. */
export function prunedFileName(checkpointName: string, k: number): string {
  const stem = checkpointName.replace(/\.(safetensors|pt|pth|ckpt|bin)$/i, '');
  return `${stem}-k${k}.safetensors`;
}
