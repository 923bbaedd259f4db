/**
 * Batch create: POST /api/events/batch with 10,000 valid, non-overlapping events (a JSON
 * array), five times, each for a fresh user. On PostgreSQL, then on the embedded database.
 *   npx tsx bench/batch.ts
 */
import { freshDatabase, register, startServer, summarize } from './support.ts';

const items = (offsetDays: number) =>
  Array.from({ length: 10_000 }, (_, i) => {
    const start = Date.UTC(2030, 0, 1) + offsetDays * 86_400_000 + i * 3_600_000;
    return { title: `Batch item ${i}`, description: 'Imported', start_time: new Date(start).toISOString(), end_time: new Date(start + 1_800_000).toISOString() };
  });

async function run(label: string, env: Record<string, string>) {
  const server = await startServer(env);
  try {
    const samples: number[] = [];
    for (let run = 0; run < 5; run++) {
      const user = await register(server.url, `batch${run}`);
      const body = JSON.stringify(items(run));
      const t0 = performance.now();
      const res = await fetch(`${server.url}/api/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.access}` },
        body,
      });
      const answer = (await res.json()) as { created_events?: unknown[] };
      samples.push(performance.now() - t0);
      if (res.status !== 201 || answer.created_events?.length !== 10_000) throw new Error(`batch failed: ${res.status}`);
    }
    console.log(JSON.stringify({ bench: 'batch-10k', database: label, runs_ms: samples.map(Math.round), ...summarize(samples) }));
  } finally {
    await server.stop();
  }
}

const database = await freshDatabase('batch');
try {
  await run('postgres', { DATABASE_URL: database.url });
} finally {
  await database.drop();
}
await run('pglite (in memory)', { DATA_DIR: ':memory:' });
