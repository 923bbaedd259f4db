/**
 * Logs in and prints every change to the events you can see, as it happens.
 *
 *   USERNAME=ada PASSWORD=... [API_URL=http://localhost:3000] npm run follow -w @scheduler/client
 *
 * API_URL is the server's base URL (default http://localhost:3000).
 */
import { WebSocket } from 'ws';
import { createClient } from '../src/index.ts';
import { describeError } from './describe-error.ts';

const { USERNAME: username, PASSWORD: password, API_URL: url = 'http://localhost:3000' } = process.env;
if (!username || !password) {
  console.error('Set USERNAME and PASSWORD (and API_URL if the server is not on http://localhost:3000).');
  process.exit(2);
}

const client = createClient({ url, credentials: { username, password }, WebSocket });
let me;
try {
  me = await client.login();
} catch (error) {
  console.error(describeError(error, url));
  await client.close();
  process.exit(1);
}
console.log(`Signed in to ${url} as ${me.username}.`);

const stop = client.followChanges({
  onStarted: () => console.log('Following changes (Ctrl+C to stop)…'),
  onMessage: (message, id) => {
    const who = message.actor?.username ?? 'someone';
    const what = message.event ? `"${message.event.title}" (version ${message.event.version})` : `event ${message.event_id}`;
    // permission.*: whose access changed and to what; my_role is mine now.
    const access = message.user
      ? `, ${message.user.username} is now ${message.role ?? 'without access'} (you: ${message.my_role ?? 'no access'})`
      : '';
    console.log(`#${id} ${message.at} ${message.type} ${what} by ${who}${access}`);
  },
  onError: (error) => {
    console.error(`The subscription ended: ${describeError(error, url)}`);
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
