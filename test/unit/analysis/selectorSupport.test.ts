/** One eligibility rule for selectors: what `analyze` refuses is exactly what the worker's analysis leaves out. */
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../../src/core/analysis/analyze';
import { ORACLE_NEEDS, unsupportedSelectors } from '../../../src/core/analysis/selectorSupport';
import { fake, labelledData, useCpu } from './setup';
import { engineOf, withoutReadout } from './fakeModel';

before(useCpu);

it('the oracle needs one Soft MoE layer with a linear readout; the other selectors need nothing', async () => {
  const model = fake({ seed: 3 });
  const all = ['heuristic', 'random', 'oracle', 'batch', 'dispatch', 'output-norm'] as const;
  assert.deepEqual(unsupportedSelectors(engineOf(model), all), []);
  assert.deepEqual(unsupportedSelectors(engineOf(withoutReadout(model)), all), [{ selector: 'oracle', reason: ORACLE_NEEDS }]);
  const twoLayers = { ...engineOf(model), info: { ...engineOf(model).info, moeLayers: [...engineOf(model).info.moeLayers, ...engineOf(model).info.moeLayers] } };
  assert.deepEqual(unsupportedSelectors(twoLayers, ['heuristic', 'oracle']).map((x) => x.selector), ['oracle']);
  // analyze refuses with the same reason the skipped-selector record carries.
  const { dataset } = labelledData(model, 20, 2);
  await assert.rejects(analyze(engineOf(withoutReadout(model)), dataset, { selectors: ['heuristic', 'oracle'] }), (e: Error) => e.message.includes(ORACLE_NEEDS));
});
