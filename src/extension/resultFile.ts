/** A saved analysis result (`*.softmoe.json`, `softmoe analyze --json`, an export) read through workspace.fs. */
import * as vscode from 'vscode';
import { SCHEMA_VERSION, isSupportedSchema } from '../core/analysis/schema';
import type { AnalysisResult } from '../core/analysis/schema';
import { SoftMoeError } from '../core/errors';

/** Result files above this size are refused (a result with 256 samples of 224² images is a few tens of MB). */
export const MAX_RESULT_FILE_BYTES = 512 * 1024 * 1024;

export async function readResultFile(uri: vscode.Uri): Promise<AnalysisResult> {
  const name = uri.path.split('/').pop() ?? uri.fsPath;
  let size: number;
  try {
    size = (await vscode.workspace.fs.stat(uri)).size;
  } catch {
    throw new SoftMoeError('E_NOT_FOUND', `${uri.fsPath} does not exist or cannot be read.`);
  }
  if (size > MAX_RESULT_FILE_BYTES) throw new SoftMoeError('E_UNSUPPORTED', `${name} is ${Math.round(size / 2 ** 20)} MB; analysis results above ${MAX_RESULT_FILE_BYTES / 2 ** 20} MB are not read.`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)));
  } catch {
    throw new SoftMoeError('E_FORMAT', `${name} is not JSON, so it is not a Soft MoE analysis result.`);
  }
  if (!isSupportedSchema(value)) {
    const v = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
    throw new SoftMoeError('E_UNSUPPORTED', v === undefined
      ? `${name} has no schemaVersion: it is not a Soft MoE analysis result.`
      : `${name} has schemaVersion ${JSON.stringify(v)}; this version reads ${SCHEMA_VERSION.split('.')[0]}.x.`);
  }
  if (!Array.isArray(value.curves) || !Array.isArray(value.layers) || typeof value.fullAccuracy !== 'number') {
    throw new SoftMoeError('E_CORRUPT', `${name}: schemaVersion ${value.schemaVersion} but the curves, layers or fullAccuracy field is missing.`);
  }
  return value;
}
