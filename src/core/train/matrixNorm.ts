/**
 * Matrix norms of a token matrix X (m rows × d columns, row-major), the targets of the Theorem 1 experiment.
 * The paper writes f(X) = ‖X‖₂ for a matrix; we read it as the spectral norm (largest singular value), the usual
 * meaning of ‖·‖₂ for matrices, and offer the Frobenius norm as an option.
 */
export type MatrixNorm = 'spectral' | 'frobenius';

export function frobeniusNorm(x: ArrayLike<number>, offset: number, m: number, d: number): number {
  let s = 0;
  for (let i = 0; i < m * d; i++) s += (x[offset + i] as number) ** 2;
  return Math.sqrt(s);
}

/** Largest singular value: √λmax(X·Xᵀ), by cyclic Jacobi on the m×m Gram matrix (exact to double rounding). */
export function spectralNorm(x: ArrayLike<number>, offset: number, m: number, d: number): number {
  const g = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (x[offset + i * d + k] as number) * (x[offset + j * d + k] as number);
      g[i * m + j] = s;
      g[j * m + i] = s;
    }
  }
  return Math.sqrt(Math.max(0, largestEigenvalue(g, m)));
}

function largestEigenvalue(a: Float64Array, n: number): number {
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (a[p * n + q] as number) ** 2;
    if (off < 1e-24) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = ((a[q * n + q] as number) - (a[p * n + p] as number)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p] as number;
          const akq = a[k * n + q] as number;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k] as number;
          const aqk = a[q * n + k] as number;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  let best = -Infinity;
  for (let i = 0; i < n; i++) best = Math.max(best, a[i * n + i] as number);
  return best;
}

export function matrixNorm(kind: MatrixNorm, x: ArrayLike<number>, offset: number, m: number, d: number): number {
  return kind === 'spectral' ? spectralNorm(x, offset, m, d) : frobeniusNorm(x, offset, m, d);
}
