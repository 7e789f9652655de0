// Types of testPrereqs.mjs, for the TypeScript tests of its decisions.
export interface Prerequisite {
  pkg: string;
  why: string;
  levels: string[];
  files: () => string[];
}
export const PREREQUISITES: Prerequisite[];
export function fileUsable(path: string): boolean;
export function missingPrerequisites(levels: string[], usable?: (path: string) => boolean, table?: Prerequisite[]): Prerequisite[];
export function installCommand(pkgs: string[], isRoot: boolean): string;
export type Decision = { action: 'run' } | { action: 'install'; pkgs: string[]; message: string } | { action: 'stop'; message: string };
export function decide(s: { missing: Array<{ pkg: string; why: string }>; isRoot: boolean; hasAptGet: boolean; interactive: boolean; env: Record<string, string | undefined> }): Decision;
export function aptInstall(pkgs: string[], env?: Record<string, string | undefined>): boolean;
export function hasAptGet(env?: Record<string, string | undefined>): boolean;
