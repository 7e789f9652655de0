/**
 * Writes the parts of package.json that derive from the core: `softmoeInspector.selectors`' enum and its
 * descriptions come from the selector registry (src/core/analysis/selectorRegistry.ts). Run after changing the
 * registry: `node --import tsx scripts/sync-manifest.ts`; test/unit/analysis/selectorRegistry.test.ts fails until then.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifestSelectorSchema } from '../src/core/analysis/selectorManifest';

const file = join(__dirname, '..', 'package.json');
const pkg = JSON.parse(readFileSync(file, 'utf8'));
const prop = pkg.contributes.configuration.properties['softmoeInspector.selectors'];
const derived = manifestSelectorSchema();
prop.items = { ...prop.items, ...derived };
writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
process.stdout.write(`package.json: softmoeInspector.selectors lists ${derived.enum.length} selectors\n`);
