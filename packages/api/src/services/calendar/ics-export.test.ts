import { describe, expect, it } from 'vitest';
import { foldLines } from './ics-export.ts';

const unfold = (text: string) => text.replace(/\r\n[ \t]/g, '');

describe('foldLines', () => {
  it('keeps every line within 75 octets without splitting a character, and unfolds to the original', () => {
    const line = `SUMMARY:${'aü€😀'.repeat(40)}`;
    const text = `BEGIN:VEVENT\r\n${line}\r\nEND:VEVENT\r\n`;
    const folded = foldLines(text);
    const lines = folded.split('\r\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const each of lines) {
      expect(Buffer.byteLength(each)).toBeLessThanOrEqual(75);
      // A split surrogate pair would not survive UTF-8.
      expect(Buffer.from(each, 'utf8').toString('utf8')).toBe(each);
    }
    expect(unfold(folded)).toBe(text);
  });

  it('leaves short lines alone', () => {
    expect(foldLines('UID:event-1@event-scheduler\r\n')).toBe('UID:event-1@event-scheduler\r\n');
  });
});
