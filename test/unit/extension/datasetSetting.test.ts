import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MAX_REMEMBERED_FOLDERS, datasetSettingValue, demoDatasetPath, rememberDataset, rememberedDataset, resolveDatasetSetting } from '../../../src/extension/datasetSetting';

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

test('the dataset is remembered per checkpoint folder: MNIST runs and ViTs each keep their own', () => {
  let memory = {};
  assert.equal(rememberedDataset(memory, '/ws/mnist/n4/ep4.safetensors', ctx), null);
  memory = rememberDataset(memory, '/ws/mnist/n4/ep4.safetensors', 'demo');
  memory = rememberDataset(memory, '/ws/vit/run1/model.pt', 'data/imagenette');
  assert.equal(rememberedDataset(memory, '/ws/mnist/n4/ep9.safetensors', ctx), demoDatasetPath('/ext'), 'same folder, another epoch');
  assert.equal(rememberedDataset(memory, '/ws/vit/run1/model.pt', ctx), '/ws/data/imagenette');
  assert.equal(rememberedDataset(memory, '/ws/mnist/n16/ep4.safetensors', ctx), null, 'another folder asks');
  memory = rememberDataset(memory, '/ws/vit/run1/other.pt', '/data/val');
  assert.equal(rememberedDataset(memory, '/ws/vit/run1/model.pt', ctx), '/data/val', 'the latest choice for the folder wins');
  assert.deepEqual(Object.keys(memory), ['/ws/mnist/n4', '/ws/vit/run1']);
});

test('the memory keeps the most recent folders only', () => {
  let memory = {};
  for (let i = 0; i < MAX_REMEMBERED_FOLDERS + 5; i++) memory = rememberDataset(memory, `/r/f${i}/m.pt`, 'demo');
  assert.equal(Object.keys(memory).length, MAX_REMEMBERED_FOLDERS);
  assert.equal(rememberedDataset(memory, '/r/f0/m.pt', ctx), null);
  assert.equal(rememberedDataset(memory, `/r/f${MAX_REMEMBERED_FOLDERS + 4}/m.pt`, ctx), demoDatasetPath('/ext'));
});
