/**
 * Small helpers for checking tensor shapes against a layout, with E_SHAPE messages that name the tensors.
 */
import { SoftMoeError } from '../errors';

/** Anything with a shape: detection needs names and shapes only, never tensor data. */
export type ShapeMap = ReadonlyMap<string, { readonly shape: readonly number[] }>;

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** `name [a,b]` for messages. */
export function fmtTensor(tensors: ShapeMap, name: string): string {
  const t = tensors.get(name);
  return t ? `${name} ${fmtShape(t.shape)}` : name;
}

export function layerLabel(name: string): string {
  return name === '' ? 'Soft MoE layer at the top level' : `Soft MoE layer '${name}'`;
}

/**
 * Checks tensors of one layer. Every failure is E_SHAPE with the layer, its layout, and the tensors involved.
 */
export class LayerShapeChecker {
  constructor(
    private readonly tensors: ShapeMap,
    private readonly layerName: string,
    private readonly layout: string,
  ) {}

  fail(what: string): never {
    throw new SoftMoeError('E_SHAPE', `${layerLabel(this.layerName)} (${this.layout}): ${what}`);
  }

  shape(name: string): number[] {
    const t = this.tensors.get(name);
    if (!t) this.fail(`tensor ${name} is missing`);
    return [...t.shape];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** Require `name` to have exactly `rank` dimensions; `expected` describes them for the message, e.g. '[d, n, p]'. */
  rank(name: string, rank: number, expected: string): number[] {
    const s = this.shape(name);
    if (s.length !== rank) this.fail(`${fmtTensor(this.tensors, name)} should be ${expected}`);
    return s;
  }

  /**
   * Require `name` to have shape `want`. On mismatch, the message names `name` and, through `because`,
   * the tensor the expected size came from (e.g. 'phi says d = 196').
   */
  exact(name: string, want: readonly number[], because: string): void {
    const s = this.shape(name);
    if (s.length !== want.length || s.some((v, i) => v !== want[i])) {
      this.fail(`${fmtTensor(this.tensors, name)} should be ${fmtShape(want)} (${because})`);
    }
  }

  /** Require a tensor with one element (a scalar, or shape [1]). */
  scalar(name: string): void {
    const s = this.shape(name);
    if (s.reduce((a, b) => a * b, 1) !== 1) this.fail(`${fmtTensor(this.tensors, name)} should hold one value (a scalar)`);
  }

  positive(name: string, value: number, what: string): void {
    if (!(value > 0)) this.fail(`${fmtTensor(this.tensors, name)} gives ${what} = ${value}; it must be at least 1`);
  }
}
