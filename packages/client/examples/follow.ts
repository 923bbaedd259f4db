/**
 * Logs in and prints every change to the events you can see, as it happens.
 *   USERNAME=ada PASSWORD=... [API_URL=http://localhost:3000] npm run follow -w @scheduler/client
 */
import { WebSocket } from 'ws';
import { createClient } from '../src/index.ts';

const { USERNAME: username, PASSWORD: password, API_URL: url = 'http://localhost:3000' } = process.env;
if (!username || !password) {
  console.error('Set USERNAME and PASSWORD (and API_URL if the server is not on http://localhost:3000).');
  process.exit(2);
}

const client = createClient({ url, credentials: { username, password }, WebSocket });
const me = await client.login();
console.log(`Signed in to ${url} as ${me.username}.`);

const stop = client.followChanges({
  onStarted: () => console.log('Following changes (Ctrl+C to stop)…'),
  onMessage: (message, id) => {
    const who = message.actor?.username ?? 'someone';
    const what = message.event ? `"${message.event.title}" (version ${message.event.version})` : `event ${message.event_id}`;
    const role = message.role !== undefined ? `, your role: ${message.role ?? 'none'}` : '';
    console.log(`#${id} ${message.at} ${message.type} ${what} by ${who}${role}`);
  },
  onError: (error) => {
    console.error('The server ended the subscription:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
    void client.close();
  },
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stop();
    void client.close();
  });
}
