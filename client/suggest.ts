import { nearestName } from '../shared/edit-distance.js';

/**
 * ": did you mean --max-usd?" for a mistyped command or option, or '' when nothing is close. Compared
 * without the dashes and case, by the one closeness rule of shared/edit-distance.ts.
 */
export function didYouMean(typed: string, known: readonly string[]): string {
  const bare = (name: string): string => name.replace(/^-+/, '').toLowerCase();
  const nearest = nearestName(bare(typed), known.map(bare));
  return nearest === undefined ? '' : `: did you mean ${known[known.map(bare).indexOf(nearest)]}?`;
}
