import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { EXIT_CODES, toSoftMoeError } from '../core/errors';
import { safeText } from './format/safeText';

/** Parse and run (the program must have been built with exitOverride(), as buildProgram does); print one line for a user error, the stack as well with --debug; set the exit status. */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit with 0; usage errors were already printed by commander.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_CODES.E_USAGE;
      return;
    }
    const e = toSoftMoeError(err);
    // Messages quote tensor names and paths from the file: never let them reach the terminal as escape sequences.
    process.stderr.write(`softmoe: ${safeText(e.userMessage)}\n`);
    if (argv.includes('--debug')) process.stderr.write(`${e.stack ?? ''}\n${e.cause instanceof Error ? `Caused by: ${e.cause.stack}\n` : ''}`);
    else if (e.code === 'E_INTERNAL') process.stderr.write('(run again with --debug for the stack trace)\n');
    process.exitCode = EXIT_CODES[e.code];
  }
}
