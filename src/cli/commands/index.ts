import type { Command } from 'commander';
import { register as inspect } from './inspect';
import { register as evalCommand } from './eval';
import { register as train } from './train';
import { register as analyze } from './analyze';
import { register as merge } from './merge';
import { register as demo } from './demo';
import { register as prune } from './prune';

/** Every sub-command registers itself here, one line each. */
export const COMMANDS: Array<(program: Command) => void> = [
  inspect,
  evalCommand,
  train,
  analyze,
  merge,
  prune,
  demo,
];
