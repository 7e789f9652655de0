/**
 * One fuzz case, made deterministically from (campaign seed, case index): a copy of one seed in its own folder
 * with one or two files mutated by structure, or replaced by a special file (a FIFO, a link to an endless device,
 * a folder, a dangling or looping link), or a special file added where a reader looks for one (classes.txt,
 * config.json, an image).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { ROOT, SEEDS, type Seed } from './corpus';
import { formatOf, mutate } from './mutators';
import { Rng } from './rng';

export interface FuzzCase {
  index: number;
  seed: Seed;
  dir: string;
  /** What was done to the copy, one line each. */
  notes: string[];
}

/** Every regular file under `dir`, relative, sorted (links and special files are not followed). */
export function regularFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(...regularFiles(p, base));
    else if (st.isFile()) out.push(relative(base, p));
  }
  return out;
}

function special(rng: Rng, path: string): string {
  rmSync(path, { recursive: true, force: true });
  const kind = rng.pick(['fifo', 'fifo', 'zero', 'urandom', 'folder', 'dangling', 'loop']);
  switch (kind) {
    case 'fifo':
      execFileSync('mkfifo', [path]);
      return `${basename(path)} is a FIFO`;
    case 'zero':
      symlinkSync('/dev/zero', path);
      return `${basename(path)} links to /dev/zero`;
    case 'urandom':
      symlinkSync('/dev/urandom', path);
      return `${basename(path)} links to /dev/urandom`;
    case 'folder':
      mkdirSync(path);
      return `${basename(path)} is a folder`;
    case 'dangling':
      symlinkSync(join(dirname(path), 'no-such-file'), path);
      return `${basename(path)} is a dangling link`;
    default:
      symlinkSync(basename(path), path);
      return `${basename(path)} links to itself`;
  }
}

/** Names a reader looks for beside the files it was given. */
function lookedFor(seed: Seed): string[] {
  const t = dirname(seed.main);
  if (seed.kind === 'checkpoint') return ['config.json', 'softmoe.json', 'args.json'].map((n) => join(dirname(seed.target), n));
  if (seed.id.startsWith('image')) return [join(t, 'z.png'), join(t, 'zz.jpg'), join(dirname(t), 'newclass', 'a.png')];
  if (seed.id.startsWith('cifar')) return [join(t, 'batches.meta.txt'), join(t, 'fine_label_names.txt')];
  if (seed.id.includes('idx')) return [join(t, 'classes.txt'), join(t, 't10k-labels-idx1-ubyte')];
  return [join(t, 'classes.txt')];
}

export function makeCase(campaignSeed: number, index: number, root: string): FuzzCase {
  const rng = new Rng(campaignSeed, index);
  const seed = rng.pick(SEEDS);
  const dir = join(root, `case-${index}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [src, dst] of seed.copy) cpSync(join(ROOT, src), join(dir, dst), { recursive: true });
  seed.build?.(dir);
  const notes = [`seed ${seed.id}`];
  const files = regularFiles(dir).filter((f) => !/(^|\/)(LICENSE|README\.md)$/.test(f));
  const mutations = rng.chance(0.25) ? 2 : 1;
  for (let m = 0; m < mutations; m++) {
    const r = rng.u32() / 4294967296;
    if (r < 0.06) {
      const name = rng.chance(0.6) ? seed.main : rng.pick(files);
      notes.push(special(rng, join(dir, name)));
      continue;
    }
    if (r < 0.1) {
      const name = rng.pick(lookedFor(seed));
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      notes.push(`added: ${special(rng, join(dir, name))}`);
      continue;
    }
    const name = rng.chance(0.65) ? seed.main : rng.pick(files);
    const path = join(dir, name);
    let bytes: Uint8Array;
    try {
      if (!lstatSync(path).isFile()) continue;
      bytes = readFileSync(path);
    } catch {
      continue;
    }
    let result: ReturnType<typeof mutate>;
    try {
      result = mutate(formatOf(name, bytes), bytes, rng);
    } catch (err) {
      // A mutator that cannot handle an earlier mutant (say, a header nested too deep to re-serialise) leaves the
      // file as it is: the campaign goes on, and the case says so.
      notes.push(`${name}: left as is (the mutator failed: ${(err as Error).message.slice(0, 80)})`);
      continue;
    }
    writeFileSync(path, result.bytes);
    notes.push(`${name}: ${result.note}`);
  }
  return { index, seed, dir, notes };
}
