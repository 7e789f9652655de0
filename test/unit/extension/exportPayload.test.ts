import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SoftMoeError } from '../../../src/core/errors';
import type { AnalysisResult } from '../../../src/core/analysis/schema';
import { exportBytes, exportFileName, exportFolder } from '../../../src/extension/exportPayload';

test('export file names are plain names with the format\'s extension', () => {
  assert.equal(exportFileName('subset-accuracy.png', 'png'), 'subset-accuracy.png');
  assert.equal(exportFileName('curves', 'csv'), 'curves.csv');
  assert.equal(exportFileName('../../etc/passwd', 'json'), 'passwd.json');
  assert.equal(exportFileName('C:\\x\\a:b?.svg', 'svg'), 'a-b-.svg');
  assert.equal(exportFileName('..', 'html'), 'softmoe.html');
  assert.equal(exportFileName('line\nbreak', 'csv'), 'line-break.csv');
});

test('a PNG export must decode to PNG bytes; SVG must be an svg document; JSON must parse', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  assert.deepEqual([...exportBytes('png', `data:image/png;base64,${png.toString('base64')}`)], [...png]);
  for (const bad of ['data:image/png;base64,AAAA', 'data:image/jpeg;base64,/9j/', 'not a url']) {
    assert.throws(() => exportBytes('png', bad), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_FORMAT');
  }
  assert.equal(Buffer.from(exportBytes('svg', '<svg xmlns="http://www.w3.org/2000/svg"></svg>')).toString(), '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
  assert.ok(exportBytes('svg', '<?xml version="1.0"?>\n<svg width="1"></svg>').length > 0);
  assert.throws(() => exportBytes('svg', '<html><script>x</script></html>'), SoftMoeError);
  assert.throws(() => exportBytes('json', '{"a":'), SoftMoeError);
  assert.equal(Buffer.from(exportBytes('csv', 'a,b\n1,é\n')).toString('utf8'), 'a,b\n1,é\n');
});

test('exports are saved beside the checkpoint they show, when its folder exists', () => {
  const result = { checkpoint: { path: '/runs/n16/ep4_moe.safetensors' } } as unknown as AnalysisResult;
  const other = { checkpoint: { path: '/elsewhere/n4/ep4_moe.safetensors' } } as unknown as AnalysisResult;
  const here = new Set(['/runs/n16']);
  const exists = (p: string): boolean => here.has(p);
  assert.equal(exportFolder({ kind: 'analysis', result, cacheKey: null, fromCache: false }, exists), '/runs/n16');
  assert.equal(exportFolder({ kind: 'analysis', result: other, cacheKey: null, fromCache: false }, exists), null, 'a result from another machine');
  const run = (r: AnalysisResult) => ({ label: 'x', result: r, source: { kind: 'none' as const } });
  assert.equal(exportFolder({ kind: 'comparison', mode: 'runs', title: '', runs: [run(other), run(result)] }, exists), '/runs/n16', 'the first run whose folder is here');
  assert.equal(exportFolder({ kind: 'checkpoint-error', path: '', error: { code: 'E_NOT_FOUND', userMessage: '' } }, exists), null);
});
