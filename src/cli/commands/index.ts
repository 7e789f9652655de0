import type { Command } from 'commander';

/** Every sub-command registers itself here, one line each. */
export const COMMANDS: Array<(program: Command) => void> = [
];
