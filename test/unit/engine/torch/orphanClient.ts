/**
 * A client that opens the PyTorch engine, prints its runner's pid and then waits to be killed — for the test that a
 * runner never outlives its client (torchFailures.test.ts). Not a test itself.
 */
import { openTorchEngine } from '../../../../src/core/engine/torch/torchEngine';

async function main(): Promise<void> {
  const [checkpoint, python] = process.argv.slice(2) as [string, string];
  const engine = await openTorchEngine(checkpoint, { python: { path: python, source: 'the tests' }, threads: 1 });
  process.stdout.write(`${engine.pid}\n`);
  setInterval(() => undefined, 1000);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as { userMessage?: string }).userMessage ?? err)}\n`);
  process.exit(1);
});
