import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SoftMoeError } from '../../../src/core/errors';
import { exportBytes, exportFileName } from '../../../src/extension/exportPayload';

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
