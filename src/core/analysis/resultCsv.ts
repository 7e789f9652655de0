/** The curves of a result as CSV (one row per selector, drop mode and k), for spreadsheets and plotting scripts. */
import type { AnalysisResult } from './schema';

export function curvesToCsv(r: AnalysisResult): string {
  const rows = ['selector,drop,k,fraction,accuracy,relative,std,correct,trials,greedy,heuristic_is_specialised'];
  for (const c of r.curves) {
    for (const p of c.points) {
      rows.push([c.selector, c.drop, p.k, p.fraction, p.accuracy, p.relative, p.std ?? '', p.correct, c.trials ?? '', p.greedy ?? '', p.heuristicIsSpecialised ?? ''].join(','));
    }
  }
  return `${rows.join('\n')}\n`;
}
