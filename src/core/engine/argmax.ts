/** Row-wise argmax of a [rows, C] host array → [rows], the FIRST maximum on ties (as argmax in PyTorch and tfjs). */
export function argmaxRows(v: ArrayLike<number>, rows: number, c: number, out: Int32Array = new Int32Array(rows), offset = 0): Int32Array {
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bv = v[i * c] as number;
    for (let j = 1; j < c; j++) {
      const x = v[i * c + j] as number;
      if (x > bv) {
        bv = x;
        best = j;
      }
    }
    out[offset + i] = best;
  }
  return out;
}
