/**
 * The `softmoe` command. Each sub-command lives in `src/cli/commands/<name>.ts` and exports
 * `register(program)`; this file only wires them up and turns errors into one line on stderr and an exit status.
 */
import { Command } from 'commander';
import { runCli } from './run';
import { COMMANDS } from './commands';
import { TOOL_VERSION } from '../core/version';

export function buildProgram(): Command {
  const program = new Command('softmoe')
    .description('Inspect Soft Mixture-of-Experts checkpoints and analyse how their experts specialise.')
    .version(process.env.SOFTMOE_VERSION ?? TOOL_VERSION)
    .option('--debug', 'print stack traces with errors')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) })
    // Before the sub-commands exist: commander copies this setting into each command when it is created,
    // so usage errors anywhere exit with E_USAGE's status instead of commander's own process.exit(1).
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

if (require.main === module) {
  void runCli(buildProgram(), process.argv);
}
