/**
 * The curves of a result as CSV (one row per selector, drop mode and k), for spreadsheets and plotting scripts.
 * Oracle rows also carry its chance level (`chance`: the same search for a drawn wrong label) and `excess`
 * (accuracy − chance); other rows leave those cells empty.
 */
import type { AnalysisResult } from './schema';

export function curvesToCsv(r: AnalysisResult): string {
  const rows = ['selector,drop,k,fraction,accuracy,relative,std,correct,trials,greedy,heuristic_is_specialised,chance,chance_found,excess'];
  for (const c of r.curves) {
    for (const p of c.points) {
      rows.push([c.selector, c.drop, p.k, p.fraction, p.accuracy, p.relative, p.std ?? '', p.correct, c.trials ?? '', p.greedy ?? '', p.heuristicIsSpecialised ?? '', p.chance ?? '', p.chanceFound ?? '', p.excess ?? ''].join(','));
    }
  }
  return `${rows.join('\n')}\n`;
}
