/**
 * Settings → analysis options, validated and clamped (no vscode import: `get` reads one key of the
 * `softmoeInspector` configuration section, so tests pass a plain object).
 */
import type { DropMode, GlobalRanking, SelectorName } from '../core/analysis/schema';
import { SELECTOR_NAMES } from '../core/analysis/selectorRegistry';
import { GLOBAL_RANKINGS, parseCalibrationSpec } from '../core/analysis/globalSelection';
import type { AnalysisSettings, BackendName, ExecutionSettings } from '../core/protocol/workerProtocol';

export const SETTINGS_SECTION = 'softmoeInspector';

export const DEFAULT_SELECTORS: readonly SelectorName[] = ['heuristic', 'random', 'oracle'];

export const DEFAULTS = {
  dropModes: 'both',
  randomTrials: 10,
  selectors: DEFAULT_SELECTORS,
  batchSize: 256,
  backend: 'auto',
  exampleLimit: 2000,
  samplesKept: 24,
  target: 0.99,
  seed: 0,
  calibration: 'train[:2000]',
  globalRanking: 'eliminate',
} as const;

export interface ResolvedSettings {
  settings: AnalysisSettings;
  execution: ExecutionSettings;
  /** One line per value that was out of range or of the wrong type and was replaced (for the log). */
  warnings: string[];
}

function int(v: unknown, def: number, min: number, max: number, key: string, warnings: string[]): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    warnings.push(`${SETTINGS_SECTION}.${key}: expected a number, got ${JSON.stringify(v)}; using ${def}.`);
    return def;
  }
  const r = Math.round(v);
  if (r < min || r > max) {
    const c = Math.min(max, Math.max(min, r));
    warnings.push(`${SETTINGS_SECTION}.${key}: ${v} is outside ${min}–${max}; using ${c}.`);
    return c;
  }
  return r;
}

export function resolveAnalysisSettings(get: (key: string) => unknown): ResolvedSettings {
  const warnings: string[] = [];
  const dropSetting = get('dropModes') ?? DEFAULTS.dropModes;
  let drops: DropMode[];
  if (dropSetting === 'zero' || dropSetting === 'renorm') drops = [dropSetting];
  else {
    if (dropSetting !== 'both') warnings.push(`${SETTINGS_SECTION}.dropModes: '${String(dropSetting)}' is not zero, renorm or both; using both.`);
    drops = ['zero', 'renorm'];
  }
  const rawSel = get('selectors');
  let selectors: SelectorName[] = [...DEFAULT_SELECTORS];
  if (Array.isArray(rawSel)) {
    const known = rawSel.filter((s): s is SelectorName => SELECTOR_NAMES.includes(s as SelectorName));
    const unknown = rawSel.filter((s) => !SELECTOR_NAMES.includes(s as SelectorName));
    if (unknown.length) warnings.push(`${SETTINGS_SECTION}.selectors: ignoring unknown ${unknown.map((u) => JSON.stringify(u)).join(', ')}.`);
    // Heuristic is what the analysis is about; keep it first whatever the user lists.
    selectors = ['heuristic', ...SELECTOR_NAMES.filter((s) => s !== 'heuristic' && known.includes(s))];
  } else if (rawSel !== undefined && rawSel !== null) {
    warnings.push(`${SETTINGS_SECTION}.selectors: expected a list; using ${DEFAULT_SELECTORS.join(', ')}.`);
  }
  const backendRaw = get('backend') ?? DEFAULTS.backend;
  const backends: BackendName[] = ['auto', 'onnx', 'node', 'wasm', 'cpu'];
  let backend: BackendName = 'auto';
  if (backends.includes(backendRaw as BackendName)) backend = backendRaw as BackendName;
  else warnings.push(`${SETTINGS_SECTION}.backend: '${String(backendRaw)}' is not one of ${backends.join(', ')}; using auto.`);
  const limit = int(get('exampleLimit'), DEFAULTS.exampleLimit, 0, 10_000_000, 'exampleLimit', warnings);
  // The global selector's calibration split (only part of the settings when it runs, so other cache keys stay).
  let global: { calibration: string; globalRanking: GlobalRanking } | null = null;
  if (selectors.includes('global')) {
    let calibration: string = DEFAULTS.calibration;
    const rawCal = get('calibration');
    if (typeof rawCal === 'string' && rawCal.trim() !== '') {
      try {
        parseCalibrationSpec(rawCal);
        calibration = rawCal.trim();
      } catch {
        warnings.push(`${SETTINGS_SECTION}.calibration: '${rawCal}' is not train[:N], train[A:B] or a split; using ${DEFAULTS.calibration}.`);
      }
    } else if (rawCal !== undefined && rawCal !== null && rawCal !== '') {
      warnings.push(`${SETTINGS_SECTION}.calibration: expected text like train[:2000]; using ${DEFAULTS.calibration}.`);
    }
    const rawRank = get('globalRanking') ?? DEFAULTS.globalRanking;
    let globalRanking: GlobalRanking = DEFAULTS.globalRanking;
    if (GLOBAL_RANKINGS.includes(rawRank as GlobalRanking)) globalRanking = rawRank as GlobalRanking;
    else warnings.push(`${SETTINGS_SECTION}.globalRanking: '${String(rawRank)}' is not one of ${GLOBAL_RANKINGS.join(', ')}; using ${DEFAULTS.globalRanking}.`);
    global = { calibration, globalRanking };
  }
  return {
    settings: {
      drops,
      selectors,
      trials: int(get('randomTrials'), DEFAULTS.randomTrials, 1, 1000, 'randomTrials', warnings),
      seed: int(get('seed'), DEFAULTS.seed, 0, 2 ** 31 - 1, 'seed', warnings),
      limit: limit === 0 ? null : limit,
      target: DEFAULTS.target,
      samples: int(get('samplesKept'), DEFAULTS.samplesKept, 0, 256, 'samplesKept', warnings),
      ...(global ?? {}),
    },
    execution: { batchSize: int(get('batchSize'), DEFAULTS.batchSize, 1, 65_536, 'batchSize', warnings), backend },
    warnings,
  };
}
