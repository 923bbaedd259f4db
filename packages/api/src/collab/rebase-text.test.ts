import { describe, expect, it } from 'vitest';
import { rebaseEdit, type TextEdit } from './rebase-text.ts';

/** Applies edits in the order given, as the document applies them to its Y.Text. */
function applyEdits(text: string, edits: TextEdit[]): string {
  let result = text;
  for (const { at, remove, insert } of edits) result = result.slice(0, at) + insert + result.slice(at + remove);
  return result;
}

const rebase = (base: string, next: string, current: string) => applyEdits(current, rebaseEdit(base, next, current));

describe('rebaseEdit: a change from base to next, applied to a document others changed from base', () => {
  it('is the change itself when nobody else changed anything', () => {
    for (const [base, next] of [
      ['draft one', 'final one'],
      ['', 'new text'],
      ['old text', ''],
      ['abc', 'xabcx'],
      ['Agenda: budget, venue', 'Agenda: venue, budget, catering'],
    ] as const) {
      expect(rebase(base, next, base)).toBe(next);
    }
  });

  it('keeps text typed by others after, before and inside the changed part', () => {
    expect(rebase('draft one', 'final one', 'draft one two')).toBe('final one two');
    expect(rebase('draft one', 'final one', 'zero draft one')).toBe('zero final one');
    expect(rebase('meet at noon', 'meet at 1 pm', 'meet us at noon')).toBe('meet us at 1 pm');
  });

  it('does not remove again what others already removed, and inserts at the nearest surviving place', () => {
    expect(rebase('a b c d', 'a c d', 'a b d')).toBe('a d');
    expect(rebase('hello world', 'hello big world', 'hello')).toBe('hellobig ');
  });

  it('keeps two insertions at one place in order', () => {
    expect(rebase('axb', 'a12b', 'ab')).toBe('a12b');
  });

  it('returns no edits when the change is empty', () => {
    expect(rebaseEdit('same', 'same', 'same plus typing')).toEqual([]);
  });

  it('never loses what others typed, whatever the change (random cases)', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const mutate = (text: string, marker: string) => {
      let out = text;
      for (let k = 0; k < 3; k++) {
        const at = random(out.length + 1);
        if (random(2) === 0 && out.length > 0) out = out.slice(0, at) + out.slice(at + 1);
        else out = out.slice(0, at) + marker + out.slice(at);
      }
      return out;
    };
    for (let i = 0; i < 500; i++) {
      const base = Array.from({ length: 5 + random(20) }, () => 'abcde '[random(6)]).join('');
      const next = mutate(base, 'R');
      const current = mutate(base, 'T');
      const merged = rebase(base, next, current);
      // Every character others typed survives, and every character the change added is there.
      expect(merged.split('T').length).toBe(current.split('T').length);
      expect(merged.split('R').length).toBe(next.split('R').length);
    }
  });
});
