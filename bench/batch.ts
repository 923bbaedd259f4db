/**
 * Batch create (target: under 2 s per batch on PostgreSQL).
 *
 * POST /api/events/batch with a JSON array of 10,000 valid, non-overlapping one-hour-apart
 * events, 5 times, each time for a freshly registered user; the time is from sending the request
 * to having read the whole 201 answer. First on PostgreSQL (a fresh database), then on the
 * embedded database (no DATABASE_URL, DATA_DIR=':memory:').
 *
 *   npx tsx bench/batch.ts            (server in this process; `--child` runs apps/server instead)
 */
import { batchItems } from './seeds.ts';
import { freshDatabase, machineFacts, register, startServer, summarize, wantInProcess } from './support.ts';

const ITEMS = 10_000;
const RUNS = 5;

const items = (offsetDays: number) => batchItems(ITEMS, offsetDays);

async function run(label: string, env: Record<string, string>) {
  const server = await startServer(env, { inProcess: wantInProcess(true) });
  try {
    const samples: number[] = [];
    for (let run = 0; run < RUNS; run++) {
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
      if (res.status !== 201 || answer.created_events?.length !== ITEMS) throw new Error(`batch failed: ${res.status}`);
    }
    console.log(
      JSON.stringify({
        bench: 'batch',
        items: ITEMS,
        database: label,
        in_process: server.inProcess,
        body_bytes: JSON.stringify(items(0)).length,
        runs_ms: samples.map(Math.round),
        ...summarize(samples),
      }),
    );
  } finally {
    await server.stop();
  }
}

console.log(JSON.stringify({ bench: 'batch', ...machineFacts() }));
const database = await freshDatabase('batch');
try {
  await run('postgres', { DATABASE_URL: database.url });
} finally {
  await database.drop();
}
await run('embedded (PGlite, in memory)', { DATA_DIR: ':memory:' });
