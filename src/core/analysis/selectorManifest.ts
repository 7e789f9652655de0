/** What package.json's `softmoeInspector.selectors` items must say, derived from the registry. */
import { SELECTORS } from './selectorRegistry';

export function manifestSelectorSchema(): { enum: string[]; enumDescriptions: string[] } {
  return {
    enum: SELECTORS.map((s) => s.name),
    enumDescriptions: SELECTORS.map((s) => `${s.label()}: ${s.description}.`),
  };
}
