/**
 * Parsing of the flags several commands share. Every bad value is an E_USAGE error naming the flag and the value.
 */
import type { BackendName } from '../core/engine/backend';
import { BACKEND_NAMES } from '../core/engine/backend';
import { SoftMoeError } from '../core/errors';

export function usage(message: string): never {
  throw new SoftMoeError('E_USAGE', message);
}

/** An integer of at least `min` (default 1). */
export function intFlag(value: string, flag: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) usage(`${flag} must be an integer of at least ${min}, got '${value}'.`);
  return n;
}

/** A finite number greater than 0. */
export function positiveNumberFlag(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) usage(`${flag} must be a positive number, got '${value}'.`);
  return n;
}

/** A comma-separated list of integers of at least `min`. */
export function intListFlag(value: string, flag: string, min = 1): number[] {
  const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) usage(`${flag} takes a comma-separated list of integers, got '${value}'.`);
  return parts.map((p) => intFlag(p, flag, min));
}

export function splitFlag(value: string | undefined): 'train' | 'test' {
  const v = value ?? 'test';
  if (v !== 'test' && v !== 'train') usage(`--split must be test or train, got '${v}'.`);
  return v;
}

export function backendFlag(value: string | undefined): BackendName | undefined {
  if (value === undefined) return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(value)) usage(`--backend must be ${BACKEND_NAMES.join(', ')}, got '${value}'.`);
  return value as BackendName;
}
