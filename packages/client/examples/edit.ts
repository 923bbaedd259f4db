/**
 * Logs in, then renames an event (EVENT_ID) or creates one, so a follower has something to print.
 *
 *   USERNAME=ada PASSWORD=... [EVENT_ID=12] [API_URL=http://localhost:3000] npm run edit -w @scheduler/client
 *
 * API_URL is the server's base URL (default http://localhost:3000).
 */
import { WebSocket } from 'ws';
import { createClient } from '../src/index.ts';
import { describeError } from './describe-error.ts';

const { USERNAME: username, PASSWORD: password, API_URL: url = 'http://localhost:3000', EVENT_ID: eventId } = process.env;
if (!username || !password) {
  console.error('Set USERNAME and PASSWORD (and API_URL if the server is not on http://localhost:3000).');
  process.exit(2);
}

const client = createClient({ url, credentials: { username, password }, WebSocket });
try {
  await client.login();
  const stamp = new Date().toISOString().slice(11, 19);
  if (eventId) {
    const { event } = await client.trpc.events.patch.mutate({ id: Number(eventId), title: `Renamed at ${stamp}` });
    console.log(`Updated event ${event.id} to version ${event.version}: "${event.title}"`);
  } else {
    const start = new Date(Date.now() + 86_400_000);
    const { event } = await client.trpc.events.create.mutate({
      title: `Created at ${stamp}`,
      start_time: start.toISOString(),
      end_time: new Date(start.getTime() + 3_600_000).toISOString(),
      on_conflict: 'allow',
    });
    console.log(`Created event ${event.id}: "${event.title}" (EVENT_ID=${event.id} renames it)`);
  }
} catch (error) {
  console.error(describeError(error, url));
  process.exitCode = 1;
} finally {
  await client.close();
}
