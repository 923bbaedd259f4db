import { z } from 'zod';
import { ZDateTime, ZId } from './common.ts';
import { LIVE_MESSAGE_TYPES } from './live.ts';

/** Hooks one user may have at once. */
export const MAX_WEBHOOKS_PER_USER = 20;

const ZWebhookUrl = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '';
      } catch {
        return false;
      }
    },
    { message: 'must be an http:// or https:// URL without credentials' },
  )
  .describe('Where messages are POSTed: http or https');

/** A tag as events carry them: trimmed, lower-cased, 1–40 of letters, digits and `-_.:`. */
const ZWebhookTag = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[\p{L}\p{N}\-_.:]{1,40}$/u, 'must be 1–40 letters, digits or -_.:');

export const ZCreateWebhookInput = z.object({
  url: ZWebhookUrl,
  types: z
    .array(z.enum(LIVE_MESSAGE_TYPES))
    .min(1)
    .max(LIVE_MESSAGE_TYPES.length)
    .nullish()
    .describe('Only these message types (default: all)'),
  event_id: ZId.nullish().describe('Only messages about this event (one you can read)'),
  tags: z.array(ZWebhookTag).min(1).max(20).nullish().describe('Only messages about events with one of these tags'),
});
export type TCreateWebhookInput = z.infer<typeof ZCreateWebhookInput>;

export const ZWebhookIdInput = z.object({ id: ZId });

export const ZWebhook = z
  .object({
    id: z.number().int(),
    url: z.string(),
    types: z.array(z.string()).nullable(),
    event_id: z.number().int().nullable(),
    tags: z.array(z.string()).nullable(),
    active: z.boolean(),
    created_at: ZDateTime,
    disabled_reason: z.string().nullable().describe('Why the hook was switched off (null while active)'),
  })
  .meta({ id: 'Webhook' });
export type TWebhook = z.infer<typeof ZWebhook>;

export const ZCreatedWebhook = ZWebhook.extend({
  secret: z.string().describe('whsec_…: the signing key, shown this once'),
});

export const ZWebhookList = z.array(ZWebhook);

export const ZWebhookDelivery = z
  .object({
    id: z.number().int(),
    message_id: z.string().describe('The webhook-id header, the same on every attempt of a message'),
    type: z.string(),
    attempt: z.number().int(),
    status_code: z.number().int().nullable(),
    ok: z.boolean(),
    error: z.string().nullable(),
    at: ZDateTime,
  })
  .meta({ id: 'WebhookDelivery' });
export const ZWebhookDeliveries = z.array(ZWebhookDelivery);

export const ZPingResult = z.object({
  message: z.string(),
  message_id: z.string().describe('The webhook-id the ping is sent with'),
});
