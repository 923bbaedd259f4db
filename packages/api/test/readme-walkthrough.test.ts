import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTestServer } from './support/test-context.ts';

const readme = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../README.md'), 'utf8');

/** The README's "Try it" blocks, in order: `sh` for the first terminal, `sh second-terminal` for the stream. */
function tryItBlocks(): Array<{ terminal: 'first' | 'second'; code: string }> {
  const start = readme.indexOf('## Try it');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```sh( second-terminal)?\n([\s\S]*?)```/g)].map((m) => ({
    terminal: m[1] ? 'second' : 'first',
    code: m[2]!,
  }));
}

/**
 * As a newcomer pastes them, against a real server: the README's base URL
 * becomes the test server's, and every curl must succeed (an HTTP error
 * stops the script and shows the answer).
 */
function asScript(code: string, url: string): string {
  return code.replace(/^API=http:\/\/localhost:3000$/m, `API=${url}`).replace(/\bcurl -s\b/g, 'curl -s --show-error --fail-with-body');
}

function runBash(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `set -euo pipefail\n${script}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const ctx = useTestServer();

describe('the README walk-through', () => {
  it('has the steps the README promises', () => {
    const all = tryItBlocks()
      .map((b) => b.code)
      .join('\n');
    for (const step of [
      '/api/auth/register',
      'ACCESS=$(',
      '"timezone":"Europe/Berlin"',
      'recurrence_pattern',
      'expand=true',
      '/share',
      '/api/events/stream',
      '-X PATCH',
      '/history',
      '/diff/',
      '/rollback/',
    ]) {
      expect(all).toContain(step);
    }
    expect(tryItBlocks().filter((b) => b.terminal === 'second')).toHaveLength(1);
  });

  it('runs top to bottom against a fresh server, the live stream in a second terminal included', async () => {
    const blocks = tryItBlocks();
    const second = blocks.find((b) => b.terminal === 'second')!;
    const secondAt = blocks.indexOf(second);
    const before = blocks
      .slice(0, secondAt)
      .map((b) => asScript(b.code, ctx.url))
      .join('\n');
    const after = blocks
      .slice(secondAt + 1)
      .map((b) => asScript(b.code, ctx.url))
      .join('\n');

    // The variables the first blocks set, for the blocks after the second terminal (one shell in real life).
    const first = await runBash(before + "\nprintf '\\n'; declare -p API ACCESS EVENT");
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    // The second terminal: its stream runs until the rest of the walk-through is done.
    const streamScript = asScript(second.code, ctx.url).replace('curl -s --show-error --fail-with-body -N', 'curl -s --show-error -N');
    // Its own process group, so that ending it ends its curl too.
    const streamer = spawn('bash', ['-c', `set -euo pipefail\n${streamScript}`], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let seen = '';
    streamer.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    streamer.stderr.on('data', (d: Buffer) => (seen += d.toString()));
    const waitFor = async (what: () => boolean, label: string) => {
      const deadline = Date.now() + 30_000;
      while (!what()) {
        if (Date.now() > deadline) throw new Error(`waited in vain for ${label}; the stream printed:\n${seen}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await waitFor(() => seen.includes('event: ready'), 'the stream to open');

    const vars = first.stdout.match(/^declare -- \w+=.*$/gm) ?? [];
    expect(vars).toHaveLength(3);
    const rest = await runBash(`${vars.join('\n')}\n${after}`);
    expect(rest.stderr).toBe('');
    expect(rest.code).toBe(0);

    const out = first.stdout + rest.stdout;
    expect(out).toContain('"start_time":"2025-04-28T07:00:00Z"'); // 09:00 Berlin summer time
    expect(out).toContain('"start_time":"2025-10-27T08:00:00Z"'); // still 09:00 Berlin after the clocks change
    expect(out).toContain('Event shared successfully');
    expect(out).toContain('"version_2":"Planning (Q3)"');
    expect(out).toContain('Event rolled back successfully');

    // Grace's terminal saw the edit and the rollback as they happened.
    try {
      await waitFor(() => seen.includes('"type":"event.rolled_back"'), 'the rollback in the stream');
    } finally {
      process.kill(-streamer.pid!, 'SIGTERM');
    }
    expect(seen).toMatch(/"type":"event\.updated".*"title":"Planning \(Q3\)"/);
  }, 180_000);
});
