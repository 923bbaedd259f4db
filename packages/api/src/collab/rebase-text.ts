import { diffChars } from 'diff';

/** Replace `remove` characters at `at` with `insert`. */
export interface TextEdit {
  at: number;
  remove: number;
  insert: string;
}

/**
 * A change someone made from `base` to `next` (a REST update of the
 * description), re-expressed as edits on `current` (the document, which
 * collaborators changed from `base` meanwhile), so that both survive: what the
 * change removed is removed where it still exists, what it added is added at
 * the matching place, and text typed by others is kept. Edits come last
 * position first, so applying them in order keeps the positions valid.
 */
export function rebaseEdit(base: string, next: string, current: string): TextEdit[] {
  if (base === next) return [];
  // Where each character of `base` is in `current` (-1 when collaborators deleted it).
  const positionInCurrent = new Array<number>(base.length).fill(-1);
  let b = 0;
  let c = 0;
  for (const part of diffChars(base, current)) {
    if (part.added) c += part.value.length;
    else if (part.removed) b += part.value.length;
    else for (let i = 0; i < part.value.length; i++) positionInCurrent[b++] = c++;
  }
  /** Where text inserted at a boundary of `base` goes in `current`: right after the base character before it. */
  const boundary = (at: number): number => {
    for (let i = at - 1; i >= 0; i--) if (positionInCurrent[i]! >= 0) return positionInCurrent[i]! + 1;
    return 0;
  };

  const edits: TextEdit[] = [];
  b = 0;
  for (const part of diffChars(base, next)) {
    if (part.added) {
      edits.push({ at: boundary(b), remove: 0, insert: part.value });
    } else if (part.removed) {
      // Remove, in runs, the characters of this part that are still in `current`.
      let runStart = -1;
      let runLength = 0;
      for (let i = b; i < b + part.value.length; i++) {
        const at = positionInCurrent[i]!;
        if (at >= 0 && runStart >= 0 && at === runStart + runLength) runLength++;
        else {
          if (runLength > 0) edits.push({ at: runStart, remove: runLength, insert: '' });
          runStart = at;
          runLength = at >= 0 ? 1 : 0;
        }
      }
      if (runLength > 0) edits.push({ at: runStart, remove: runLength, insert: '' });
      b += part.value.length;
    } else {
      b += part.value.length;
    }
  }
  // Last position first; at one position, removals first, and later edits before earlier ones
  // (so two insertions at one place keep their order).
  return edits
    .map((edit, index) => ({ edit, index }))
    .sort((x, y) => y.edit.at - x.edit.at || y.edit.remove - x.edit.remove || y.index - x.index)
    .map(({ edit }) => edit);
}
