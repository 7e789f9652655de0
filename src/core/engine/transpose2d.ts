/** [rows, cols] row-major → [cols, rows] row-major, on the host (PyTorch [out, in] weights → input-major). */
export function transpose2d(a: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c] as number;
  }
  return out;
}
