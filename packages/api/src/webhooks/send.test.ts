import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, retryDelayMs } from './outbox.ts';
import { newSecret, retryAfterSeconds, sign } from './send.ts';

describe('sign', () => {
  it('matches the Standard Webhooks reference implementation', () => {
    const secret = newSecret();
    const body = JSON.stringify({ type: 'event.updated', event_id: 24 });
    const at = new Date('2025-04-21T10:00:00Z');
    expect(sign(secret, 'msg_1042', at.getTime() / 1000, body)).toBe(new Webhook(secret).sign('msg_1042', at, body));
  });

  it('makes secrets of 32 random bytes behind whsec_', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^whsec_/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newSecret()).not.toBe(secret);
  });
});

describe('retryAfterSeconds', () => {
  it('reads seconds and HTTP dates, and ignores nonsense', () => {
    expect(retryAfterSeconds('120')).toBe(120);
    const now = Date.parse('2025-04-21T10:00:00Z');
    expect(retryAfterSeconds('Mon, 21 Apr 2025 10:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds('Mon, 21 Apr 2025 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds('soon')).toBeUndefined();
    expect(retryAfterSeconds(undefined)).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  const policy = { retryMs: 5000, disableAfterSeconds: 86400, maxRetryAfterMs: 3_600_000 };

  it('starts at WEBHOOK_RETRY_MS and doubles, within ±20 % jitter, for the contract’s 8 attempts', () => {
    expect(MAX_ATTEMPTS).toBe(8);
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt += 1) {
      const base = 5000 * 2 ** (attempt - 1);
      for (let i = 0; i < 50; i += 1) {
        const delay = retryDelayMs(attempt, policy);
        expect(delay).toBeGreaterThanOrEqual(base * 0.8);
        expect(delay).toBeLessThanOrEqual(base * 1.2);
      }
    }
  });

  it('follows Retry-After, up to the cap', () => {
    expect(retryDelayMs(1, policy, 42)).toBe(42_000);
    expect(retryDelayMs(1, policy, 10 * 86400)).toBe(3_600_000);
  });
});
