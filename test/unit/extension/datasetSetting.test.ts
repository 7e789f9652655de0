import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { datasetSettingValue, demoDatasetPath, resolveDatasetSetting } from '../../../src/extension/datasetSetting';

const ctx = { extensionPath: '/ext', workspaceFolder: '/ws' };

test('the dataset setting resolves demo, absolute, relative and ${workspaceFolder} paths', () => {
  assert.equal(resolveDatasetSetting('demo', ctx), demoDatasetPath('/ext'));
  assert.equal(demoDatasetPath('/ext'), join('/ext', 'media', 'demo', 'data'));
  assert.equal(resolveDatasetSetting('/data/fmnist', ctx), '/data/fmnist');
  assert.equal(resolveDatasetSetting('data/x.npz', ctx), '/ws/data/x.npz');
  assert.equal(resolveDatasetSetting('${workspaceFolder}/data', ctx), '/ws/data');
  for (const unset of ['', '   ', undefined, null, 3]) assert.equal(resolveDatasetSetting(unset, ctx), null);
  assert.equal(resolveDatasetSetting('data', { ...ctx, workspaceFolder: null }), null);
});

test('a picked path is stored relative to the workspace folder when inside it', () => {
  assert.equal(datasetSettingValue('/ws/data/x.npz', '/ws'), 'data/x.npz');
  assert.equal(datasetSettingValue('/ws', '/ws'), '${workspaceFolder}');
  assert.equal(datasetSettingValue('/wsx/data', '/ws'), '/wsx/data');
  assert.equal(datasetSettingValue('/elsewhere/d', null), '/elsewhere/d');
  const v = datasetSettingValue('/ws/data/x.npz', '/ws');
  assert.equal(resolveDatasetSetting(v, ctx), '/ws/data/x.npz');
});
