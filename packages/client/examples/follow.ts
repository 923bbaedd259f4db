/**
 * Logs in and prints every change to your events as it happens.
 *   API_URL=http://localhost:3000 USERNAME=ada PASSWORD=... npm run follow -w @scheduler/client
 */
import { WebSocket } from 'ws';
import { createClient } from '../src/index.ts';

const client = createClient({
  url: process.env['API_URL'] ?? 'http://localhost:3000',
  credentials: { username: process.env['USERNAME'] ?? '', password: process.env['PASSWORD'] ?? '' },
  WebSocket,
});

const me = await client.login();
console.log(`Signed in as ${me.username}; waiting for changes (Ctrl+C to stop)`);
client.followChanges({
  onMessage: (message, id) => {
    const who = message.actor?.username ?? 'system';
    const what = message.event ? `"${message.event.title}" (v${message.event.version})` : `event ${message.event_id}`;
    console.log(`#${id} ${message.at} ${who}: ${message.type} ${what}${message.role !== undefined ? ` role=${message.role}` : ''}`);
  },
  onError: (error) => console.error('subscription error:', error),
});
process.on('SIGINT', () => {
  client.close();
  process.exit(0);
});
