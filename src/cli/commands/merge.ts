/**
 * `softmoe merge <parts...> --json out.json`: combine the statistics written by `softmoe analyze --shard i/N` into
 * exactly the result one run over the whole dataset gives (apart from createdAt and timing).
 */
import type { Command } from 'commander';
import { mergePartials } from '../../core/analysis/merge';
import { SoftMoeError } from '../../core/errors';
import { readFileCapped } from '../../core/io/fileSource';
import { clip } from '../../core/quote';
import { formatSummary, writeOutputs } from './analyze';

const MAX_PART_BYTES = 512 * 1024 * 1024;

export function register(program: Command): void {
  program
    .command('merge')
    .description('merge the shard statistics of softmoe analyze --shard i/N into one analysis result')
    .argument('<parts...>', 'the JSON files written by every shard')
    .option('--json <file>', 'write the merged result as JSON')
    .option('--csv <file>', 'write the merged curves as CSV')
    .action(async (files: string[], flags: { json?: string; csv?: string }) => {
      const parts: unknown[] = [];
      for (const f of files) {
        // A regular file of at most MAX_PART_BYTES (a FIFO or a link to a device is refused, never read without end).
        const text = new TextDecoder().decode(await readFileCapped(f, MAX_PART_BYTES, "shard's statistics"));
        try {
          parts.push(JSON.parse(text));
        } catch (err) {
          throw new SoftMoeError('E_FORMAT', `${f} is not valid JSON: ${clip((err as Error).message, 80)}`, { cause: err });
        }
      }
      const result = mergePartials(parts, files);
      await writeOutputs(result, flags.json, flags.csv);
      process.stdout.write(formatSummary(result));
    });
}
