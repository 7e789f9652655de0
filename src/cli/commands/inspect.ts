/**
 * `softmoe inspect <file> [--json] [--all]`: what is inside a checkpoint. The work is `inspectCheckpoint` in the
 * core (the extension's checkpoint editor calls it too); this file only parses options and formats.
 */
import type { Command } from 'commander';
import { SoftMoeError } from '../../core/errors';
import { inspectCheckpoint } from '../../core/model/inspectCheckpoint';
import { formatInspectText } from '../format/inspectText';
import { toPrettyJson } from '../format/json';

interface InspectFlags {
  json?: boolean;
  all?: boolean;
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('list the tensors, parameter count and Soft MoE layers of a checkpoint (.safetensors, .pt/.pth/.ckpt/.bin, .npy/.npz); reads headers only and never runs code from the file')
    .argument('<file>', 'checkpoint file (or a sharded *.safetensors.index.json)')
    .option('--json', 'print one JSON object instead of tables')
    .option('--all', 'list every tensor in the table (default: the first 40 rows)')
    .action(async (file: string, flags: InspectFlags) => {
      const report = await inspectCheckpoint(file);
      const text = flags.json
        ? validJson(`${toPrettyJson(report)}\n`)
        : formatInspectText(report, { maxRows: flags.all ? Infinity : undefined });
      await writeOut(text);
    });
}

/** `--json` prints valid JSON or nothing: a report that does not round-trip fails (non-zero) instead of exiting 0. */
function validJson(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    throw new SoftMoeError('E_INTERNAL', `Internal error: the JSON report of this checkpoint is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return text;
}

/** Write and wait for the flush, so a piped `| head` or a big JSON is not cut when the process exits. */
function writeOut(text: string): Promise<void> {
  return new Promise((resolve) => {
    // A reader that goes away early (`| head`) is not an error of ours.
    process.stdout.once('error', () => resolve());
    process.stdout.write(text, () => resolve());
  });
}
