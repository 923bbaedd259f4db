/**
 * Logs in, then creates an event (or renames it if EVENT_ID is given) so a follower sees it.
 *   API_URL=http://localhost:3000 USERNAME=ada PASSWORD=... [EVENT_ID=1] npm run edit -w @scheduler/client
 */
import { WebSocket } from 'ws';
import { createClient } from '../src/index.ts';

const client = createClient({
  url: process.env['API_URL'] ?? 'http://localhost:3000',
  credentials: { username: process.env['USERNAME'] ?? '', password: process.env['PASSWORD'] ?? '' },
  WebSocket,
});

await client.login();
const eventId = process.env['EVENT_ID'];
if (eventId) {
  const { event } = await client.trpc.events.patch.mutate({ id: Number(eventId), title: `Renamed at ${new Date().toLocaleTimeString()}` });
  console.log(`Updated event ${event.id} to version ${event.version}: ${event.title}`);
} else {
  const start = new Date(Date.now() + 86_400_000 * (1 + Math.floor(Math.random() * 365)));
  const { event } = await client.trpc.events.create.mutate({
    title: 'Created from the example',
    start_time: start.toISOString(),
    end_time: new Date(start.getTime() + 3_600_000).toISOString(),
    on_conflict: 'allow',
  });
  console.log(`Created event ${event.id}: ${event.title}`);
}
client.close();
