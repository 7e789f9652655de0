// A dataset that is refused leaves no file open: every reader closes what it opened on every error path (issue 16:
// an IDX path returned a rejected promise without awaiting it, so its catch never closed the file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../../src/core/data/openDataset';

const BAD = join(__dirname, '../../fixtures/data');
/** Open file descriptors of this process on a file under the fixtures. */
const openFds = (): string[] => readdirSync('/proc/self/fd').flatMap((fd) => {
  try {
    const target = readlinkSync(`/proc/self/fd/${fd}`);
    return target.startsWith(BAD) ? [target] : [];
  } catch {
    return [];
  }
});

test('refused datasets leave no file descriptor open', { skip: process.platform !== 'linux' && 'needs /proc/self/fd' }, async () => {
  const paths = ['idx-bad/truncated-raw', 'idx-bad/wrong-magic', 'idx-bad/truncated-gz', 'idx-bad/count-mismatch', 'npy-bad/count-mismatch.npz', 'npy-bad/not-a-zip.npz', 'cifar-bad'];
  for (const p of paths) {
    await assert.rejects(openDataset(join(BAD, p)), p);
    assert.deepEqual(openFds(), [], `${p} left files open`);
  }
});
