// "Did you mean ...?": the nearest known names to a misspelt one, by edit distance.
import { distance } from "fastest-levenshtein";

/**
 * The candidates closest to `name`, if close enough to be a typo: at most a
 * third of the longer name's length in edits, rounded up, and fewer edits than
 * `name` has characters (so `b` does not "mean" `a`). `RWC` finds `RW1C`, `hidee`
 * finds `hide`; a case difference costs half an edit (`rw` -> `RW`). Several
 * names equally close all come back, in the candidates' order.
 */
export function closestAll(name: string, candidates: Iterable<string>): string[] {
  let best: string[] = [];
  let bestScore = Infinity;
  for (const c of new Set(candidates)) {
    if (c === name || c === "") continue;
    const score = isOneSwap(name, c) ? 1 : Math.min(distance(name, c), distance(name.toLowerCase(), c.toLowerCase()) + 0.5);
    const limit = Math.max(1, Math.ceil(Math.max(name.length, c.length) / 3));
    if (score > limit || score >= name.length) continue;
    // Among equally near names, a missed keystroke (`RWC` in `RW1C`) beats a stray one (`RWC` -> `RW`).
    const rank = score - (isSubsequence(name.toLowerCase(), c.toLowerCase()) ? 0.25 : 0);
    if (rank < bestScore) {
      best = [c];
      bestScore = rank;
    } else if (rank === bestScore) best.push(c);
  }
  return best;
}

/** Two neighbouring letters swapped (`pcei` for `pcie`): one slip, though Levenshtein counts two. */
function isOneSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i < a.length - 1 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

function isSubsequence(short: string, long: string): boolean {
  let i = 0;
  for (const ch of long) if (ch === short[i]) i++;
  return i === short.length;
}

/** The one candidate closest to `name`, if any is close enough (see closestAll). */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  return closestAll(name, candidates)[0];
}

/** "did you mean `x`?" or "did you mean one of `x`, `y`?"; undefined when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const near = closestAll(name, candidates);
  if (near.length === 0) return undefined;
  if (near.length === 1) return `did you mean \`${near[0]}\`?`;
  return `did you mean one of ${near.slice(0, 4).map((n) => `\`${n}\``).join(", ")}?`;
}

/**
 * The `help:` text for an unknown name: the suggestion when there is one,
 * otherwise the list of what is known.
 */
export function suggestionHelp(name: string, candidates: readonly string[], listLabel: string): string {
  return didYouMean(name, candidates) ?? `${listLabel}: ${[...new Set(candidates)].join(", ")}`;
}
