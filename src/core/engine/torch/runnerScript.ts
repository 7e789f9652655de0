/**
 * Where softmoe_runner.py is: beside the bundle (dist/, where scripts/build.mjs copies it), or in the source tree when
 * the code runs from source (tests, benchmarks).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SoftMoeError } from '../../errors';

export function findRunnerScript(): string {
  const candidates = [join(__dirname, 'softmoe_runner.py'), join(__dirname, 'runner', 'softmoe_runner.py')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new SoftMoeError('E_INTERNAL', `Internal error: the PyTorch runner softmoe_runner.py is missing from this installation (looked in ${candidates.join(', ')}).`);
  return found;
}
