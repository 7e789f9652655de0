/**
 * Which engine Analyze Experts uses (settings × workspace trust × softmoe.json), which Python, the cache identity of
 * the PyTorch engine, and the manifest's trust declaration: the PyTorch engine never runs in an untrusted workspace,
 * and its settings cannot be set by one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SoftMoeError } from '../../../src/core/errors';
import { decideEngine, pythonFromSetting, readEngineSettings } from '../../../src/extension/engineChoice';

const ROOT = join(__dirname, '..', '..', '..');

describe('engine choice in VS Code', () => {
  it('auto runs the model\'s own code only when softmoe.json names it and the workspace is trusted', () => {
    assert.deepEqual(decideEngine('auto', { trusted: true, hasFactory: true }), { engine: 'torch' });
    assert.deepEqual(decideEngine('auto', { trusted: true, hasFactory: false }), { engine: 'tfjs' });
    assert.deepEqual(decideEngine('tfjs', { trusted: true, hasFactory: true }), { engine: 'tfjs' });
    assert.deepEqual(decideEngine('torch', { trusted: true, hasFactory: false }), { engine: 'torch' });
    const d = decideEngine('auto', { trusted: false, hasFactory: true });
    assert.equal(d.engine, 'tfjs', 'auto in Restricted Mode');
    assert.match(d.note ?? '', /Restricted Mode: this workspace is not trusted.*built-in engine/);
  });

  it('refuses the PyTorch engine asked for by name in an untrusted workspace, saying what to do', () => {
    for (const hasFactory of [true, false]) {
      assert.throws(() => decideEngine('torch', { trusted: false, hasFactory }), (err: unknown) => {
        assert.ok(err instanceof SoftMoeError);
        assert.equal(err.code, 'E_USAGE');
        assert.match(err.userMessage, /^Restricted Mode: softmoeInspector\.engine is 'torch'.*untrusted workspace.*Trust this workspace.*'auto'/);
        return true;
      });
    }
    assert.deepEqual(decideEngine('tfjs', { trusted: false, hasFactory: true }), { engine: 'tfjs' }, 'the built-in engine needs no trust');
  });

  it('reads the settings, replacing bad values with a warning', () => {
    const warnings: string[] = [];
    assert.deepEqual(readEngineSettings(() => undefined, warnings), { engine: 'auto', device: 'auto', pythonPath: '' });
    assert.deepEqual(readEngineSettings((k) => ({ engine: 'torch', device: 'cuda:1', pythonPath: ' /opt/py/bin/python ' })[k], warnings), { engine: 'torch', device: 'cuda:1', pythonPath: '/opt/py/bin/python' });
    assert.deepEqual(warnings, []);
    assert.deepEqual(readEngineSettings((k) => ({ engine: 'jax', device: 'gpu', pythonPath: 3 })[k], warnings), { engine: 'auto', device: 'auto', pythonPath: '' });
    assert.equal(warnings.length, 3);
    assert.match(warnings.join('\n'), /softmoeInspector\.engine: 'jax'.*softmoeInspector\.device: 'gpu'.*softmoeInspector\.pythonPath/s);
  });

  it('pythonPath: ~, ${workspaceFolder} and folder-relative paths', () => {
    assert.equal(pythonFromSetting('', '/ws'), undefined);
    assert.deepEqual(pythonFromSetting('${workspaceFolder}/.venv/bin/python', '/ws'), { path: '/ws/.venv/bin/python', source: 'softmoeInspector.pythonPath' });
    assert.equal(pythonFromSetting('.venv/bin/python', '/ws')?.path, '/ws/.venv/bin/python');
    assert.equal(pythonFromSetting('~/miniconda3/bin/python', '/ws')?.path, `${homedir()}/miniconda3/bin/python`);
    assert.equal(pythonFromSetting('python3.11', '/ws')?.path, 'python3.11', 'a bare name is looked up on PATH');
  });
});

describe('the manifest', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    capabilities?: { virtualWorkspaces?: { supported: unknown }; untrustedWorkspaces?: { supported: unknown; description?: string; restrictedConfigurations?: string[] } };
    contributes: { configuration: { properties: Record<string, { default?: unknown; markdownDescription?: string; scope?: string }> } };
  };
  const nls = JSON.parse(readFileSync(join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;

  it('supports untrusted workspaces in a limited way, and they cannot choose the engine, the Python or the device', () => {
    // One capabilities object (a second one would silently replace the first).
    assert.equal(readFileSync(join(ROOT, 'package.json'), 'utf8').match(/"capabilities"/g)?.length, 1);
    assert.equal(pkg.capabilities?.virtualWorkspaces?.supported, false);
    const u = pkg.capabilities?.untrustedWorkspaces;
    assert.equal(u?.supported, 'limited');
    assert.match(nls[(u?.description ?? '').replace(/%/g, '')] ?? '', /PyTorch engine.*runs only in trusted workspaces/);
    // Every PyTorch engine setting: an untrusted workspace's .vscode/settings.json cannot pick the engine, the
    // interpreter (code that runs) or the device.
    assert.deepEqual(u?.restrictedConfigurations?.sort(), ['softmoeInspector.device', 'softmoeInspector.engine', 'softmoeInspector.pythonPath']);
  });

  it('declares the engine settings with their defaults and descriptions', () => {
    const props = pkg.contributes.configuration.properties;
    assert.equal(props['softmoeInspector.engine']?.default, 'auto');
    assert.equal(props['softmoeInspector.device']?.default, 'auto');
    assert.equal(props['softmoeInspector.pythonPath']?.default, '');
    for (const k of ['engine', 'device', 'pythonPath']) {
      const key = (props[`softmoeInspector.${k}`]?.markdownDescription ?? '').replace(/%/g, '');
      assert.ok(nls[key], `no text for ${key}`);
    }
  });
});
