import { z } from 'zod';
import { ZDateTime, ZDateTimeInput, ZId } from './common.ts';
import { MAX_TAGS, ZTag } from './events.ts';

/** What an API token may do: `read` never writes; `write` may do whatever its user may. */
export const TOKEN_ACCESS = ['read', 'write'] as const;
export type TTokenAccess = (typeof TOKEN_ACCESS)[number];

/** At most this many live (not revoked) tokens per user. */
export const MAX_API_TOKENS_PER_USER = 50;

export const ZCreateApiTokenInput = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(100).describe('What the token is for (1–100 characters)'),
    access: z.enum(TOKEN_ACCESS, { error: 'must be read or write' }).describe('`read`: no writes; `write`: what you may do'),
    tags: z
      .array(ZTag)
      .min(1)
      .max(MAX_TAGS)
      .nullable()
      .optional()
      .describe('Only events with one of these tags exist for the token (omit for every event)'),
    event_ids: z.array(ZId).min(1).max(100).nullable().optional().describe('Only these events exist for the token (omit for every event)'),
    expires_at: ZDateTimeInput.nullable().optional().describe('When the token stops working (omit: never); must be in the future'),
  })
  .strict();
export type TCreateApiTokenInput = z.infer<typeof ZCreateApiTokenInput>;

export const ZApiToken = z
  .object({
    id: z.number().int(),
    name: z.string(),
    access: z.enum(TOKEN_ACCESS),
    tags: z.array(z.string()).nullable(),
    event_ids: z.array(z.number().int()).nullable(),
    expires_at: ZDateTime.nullable(),
    created_at: ZDateTime,
    last_used_at: ZDateTime.nullable().describe('Updated within a minute of use'),
  })
  .meta({ id: 'ApiToken' });
export type TApiToken = z.infer<typeof ZApiToken>;

export const ZCreatedApiToken = ZApiToken.extend({
  token: z.string().describe('The token itself: shown this once, stored only as a hash. Send it as `Authorization: Bearer <token>`'),
}).meta({ id: 'CreatedApiToken' });
export type TCreatedApiToken = z.infer<typeof ZCreatedApiToken>;

export const ZApiTokenList = z.array(ZApiToken);

export const ZApiTokenIdInput = z.object({ id: ZId });

/** Listing takes no parameters. */
export const ZListApiTokensInput = z.object({});
