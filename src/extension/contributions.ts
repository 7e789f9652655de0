/**
 * Every id the extension contributes to VS Code, in one place: command ids, webview and custom-editor view types,
 * and the file extensions that are checkpoints. package.json's `contributes` (commands, menus, custom editors,
 * activation events) uses exactly these ids, which a unit test checks (test/unit/extension/contributions.test.ts).
 * No vscode import.
 */

export const COMMANDS = {
  analyzeExperts: 'softmoe.analyzeExperts',
  rerunAnalysis: 'softmoe.rerunAnalysis',
  chooseDataset: 'softmoe.chooseDataset',
  showLog: 'softmoe.showLog',
  compareRuns: 'softmoe.compareRuns',
  analyzeTrainingRun: 'softmoe.analyzeTrainingRun',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

export const VIEW_TYPES = {
  /** The checkpoint editor, default for the extensions in `DEFAULT_EDITOR_EXTS`. */
  checkpoint: 'softmoe.checkpoint',
  /** The same editor, offered through Open With… for the extensions in `OPTION_EDITOR_EXTS`. */
  checkpointOption: 'softmoe.checkpointOption',
  analysis: 'softmoe.analysis',
  comparison: 'softmoe.comparison',
} as const;

/** Checkpoints the editor opens by default on a click. */
export const DEFAULT_EDITOR_EXTS = ['.safetensors', '.pt', '.pth'] as const;
/** NumPy files: a checkpoint only when they hold a model's tensors (an .npz is as often a dataset; an .npy is one array). */
export const NUMPY_EXTS = ['.npz', '.npy'] as const;
/** Checkpoints the editor opens through Open With… (the extension is shared with other kinds of file). */
export const OPTION_EDITOR_EXTS = ['.ckpt', '.bin', ...NUMPY_EXTS] as const;
/** The extensions that are always checkpoints: what Compare Runs' pick list searches the workspace for. */
export const MODEL_EXTS: readonly string[] = [...DEFAULT_EDITOR_EXTS, '.ckpt', '.bin'];
/** Every file extension Analyze Experts and Compare Runs take as a checkpoint. */
export const CHECKPOINT_EXTS: readonly string[] = [...DEFAULT_EDITOR_EXTS, ...OPTION_EDITOR_EXTS];

/**
 * Context keys the extension sets for its menus' `when` clauses:
 *  checkpointHasModel  the active checkpoint editor shows Soft MoE layers (its title bar offers Analyze and Compare
 *                      on NumPy files only then);
 *  numpyModels         the .npz files the checkpoint editor found a model in (their explorer menu offers them).
 */
export const CONTEXT_KEYS = {
  checkpointHasModel: 'softmoe.checkpointHasModel',
  numpyModels: 'softmoe.numpyModels',
} as const;

export function isCheckpointPath(path: string): boolean {
  const p = path.toLowerCase();
  return CHECKPOINT_EXTS.some((e) => p.endsWith(e));
}
