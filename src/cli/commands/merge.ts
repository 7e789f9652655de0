/**
 * `softmoe merge <parts...> --json out.json`: combine the statistics written by `softmoe analyze --shard i/N` into
 * exactly the result one run over the whole dataset gives (apart from createdAt and timing).
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { mergePartials } from '../../core/analysis/merge';
import { SoftMoeError } from '../../core/errors';
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
        let text: string;
        try {
          const buf = await readFile(f);
          if (buf.length > MAX_PART_BYTES) throw new SoftMoeError('E_FORMAT', `${f} is larger than ${MAX_PART_BYTES / 2 ** 20} MiB; it is not a shard's statistics.`);
          text = buf.toString('utf8');
        } catch (err) {
          if (err instanceof SoftMoeError) throw err;
          throw new SoftMoeError('E_NOT_FOUND', `Cannot read ${f}: ${(err as Error).message}`, { cause: err });
        }
        try {
          parts.push(JSON.parse(text));
        } catch (err) {
          throw new SoftMoeError('E_FORMAT', `${f} is not valid JSON: ${(err as Error).message}`, { cause: err });
        }
      }
      const result = mergePartials(parts, files);
      await writeOutputs(result, flags.json, flags.csv);
      process.stdout.write(formatSummary(result));
    });
}
