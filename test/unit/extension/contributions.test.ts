/**
 * package.json's `contributes` and activation events use exactly the ids of src/extension/contributions.ts: a
 * command, view type, context key or checkpoint extension spelled differently in the manifest is a menu that
 * never shows or an editor that never opens, and nothing else would notice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_EXTS, COMMANDS, CONTEXT_KEYS, DEFAULT_EDITOR_EXTS, OPTION_EDITOR_EXTS, VIEW_TYPES } from '../../../src/extension/contributions';

const ROOT = join(__dirname, '..', '..', '..');

interface Manifest {
  activationEvents: string[];
  contributes: {
    commands: Array<{ command: string }>;
    menus: Record<string, Array<{ command: string; when?: string }>>;
    customEditors: Array<{ viewType: string; selector: Array<{ filenamePattern: string }>; priority: string }>;
  };
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
const commands = new Set<string>(Object.values(COMMANDS));
const viewTypes = new Set<string>(Object.values(VIEW_TYPES));
const contextKeys = new Set<string>(Object.values(CONTEXT_KEYS));

test('the contributed commands are exactly the module\'s command ids', () => {
  assert.deepEqual(manifest.contributes.commands.map((c) => c.command).sort(), [...commands].sort());
});

test('every menu item names a command of the module', () => {
  const unknown = Object.entries(manifest.contributes.menus).flatMap(([menu, items]) => items.filter((i) => !commands.has(i.command)).map((i) => `${menu}: ${i.command}`));
  assert.deepEqual(unknown, []);
});

test('the custom editors are the module\'s two checkpoint view types, with exactly its extensions', () => {
  const editors = Object.fromEntries(manifest.contributes.customEditors.map((e) => [e.viewType, e]));
  assert.deepEqual(Object.keys(editors).sort(), [VIEW_TYPES.checkpoint, VIEW_TYPES.checkpointOption].sort());
  const patterns = (viewType: string): string[] => (editors[viewType]?.selector ?? []).map((s) => s.filenamePattern).sort();
  assert.deepEqual(patterns(VIEW_TYPES.checkpoint), DEFAULT_EDITOR_EXTS.map((e) => `*${e}`).sort());
  assert.equal(editors[VIEW_TYPES.checkpoint]?.priority, 'default');
  assert.deepEqual(patterns(VIEW_TYPES.checkpointOption), OPTION_EDITOR_EXTS.map((e) => `*${e}`).sort());
  assert.equal(editors[VIEW_TYPES.checkpointOption]?.priority, 'option');
});

test('activation events name the module\'s editors and panels (commands activate by themselves)', () => {
  assert.deepEqual([...manifest.activationEvents].sort(), [
    `onCustomEditor:${VIEW_TYPES.checkpoint}`, `onCustomEditor:${VIEW_TYPES.checkpointOption}`,
    `onWebviewPanel:${VIEW_TYPES.analysis}`, `onWebviewPanel:${VIEW_TYPES.comparison}`,
  ].sort());
});

test('when clauses name only the module\'s view types and context keys, and every checkpoint extension', () => {
  const whens = Object.values(manifest.contributes.menus).flat().map((i) => i.when ?? '');
  const named = whens.flatMap((w) => [...w.matchAll(/\bsoftmoe\.[A-Za-z]+\b/g)].map((m) => m[0]));
  assert.deepEqual(named.filter((id) => !viewTypes.has(id) && !contextKeys.has(id)), []);
  for (const key of contextKeys) assert.ok(named.includes(key), `no menu uses the context key ${key}`);
  // Analyze Experts in the explorer: the extensions that are always checkpoints by name, NumPy files by content.
  const analyze = manifest.contributes.menus['explorer/context']?.find((i) => i.command === COMMANDS.analyzeExperts)?.when ?? '';
  const alternation = /resourceExtname =~ \/\^\\\.\(([^)]+)\)\$\//.exec(analyze)?.[1]?.split('|') ?? [];
  const always = CHECKPOINT_EXTS.filter((e) => e !== '.npz' && e !== '.npy').map((e) => e.slice(1));
  assert.deepEqual(alternation.sort(), always.sort());
  assert.match(analyze, new RegExp(`resourcePath in ${CONTEXT_KEYS.numpyModels.replace('.', '\\.')}`));
});

test('capabilities: limited in untrusted workspaces and unsupported in virtual ones, each saying why', () => {
  const m = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { capabilities?: Record<string, { supported?: unknown; description?: string }> };
  const nls = JSON.parse(readFileSync(join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
  const text = (d: string | undefined): string => (d ?? '').replace(/^%(.+)%$/, (_m, key: string) => nls[key] ?? '');
  assert.equal(m.capabilities?.untrustedWorkspaces?.supported, 'limited');
  assert.match(text(m.capabilities?.untrustedWorkspaces?.description), /Restricted Mode.*checkpoint editor.*built-in engine.*trusted/s);
  assert.equal(m.capabilities?.virtualWorkspaces?.supported, false);
  assert.match(text(m.capabilities?.virtualWorkspaces?.description), /file system/);
});
