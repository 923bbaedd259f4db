import { z } from 'zod';

export const ZUsername = z
  .string()
  .min(1, 'must not be empty')
  .max(150, 'must be at most 150 characters')
  .regex(/^[\w.@+-]+$/, 'may contain only letters, digits and @ . + - _');

export const ZPassword = z.string().min(8, 'must be at least 8 characters').max(1024, 'must be at most 1024 characters');

export const ZRegisterInput = z.object({
  username: ZUsername,
  email: z.email('must be a valid email address').max(254),
  password: ZPassword,
});
export type TRegisterInput = z.infer<typeof ZRegisterInput>;

/**
 * JSON login; `username` may hold the email, and an `email` field is read as the
 * login name too. The OAuth2 form fields arrive here as well.
 */
export const ZLoginInput = z
  .object({
    username: z.string().min(1, 'is required').max(254).optional().describe('Username or email'),
    email: z.string().min(1, 'is required').max(254).optional().describe('The email, instead of username'),
    password: z.string().min(1, 'is required').max(1024),
    grant_type: z.literal('password').optional().describe('OAuth2 password grant (form-encoded requests)'),
  })
  .transform(({ email, ...fields }, ctx) => {
    const username = fields.username ?? email;
    if (username === undefined) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'is required (the username or the email)' });
      return z.NEVER;
    }
    return { ...fields, username };
  });
export type TLoginInput = z.infer<typeof ZLoginInput>;

export const ZRefreshInput = z.object({ refresh: z.string().min(1, 'is required').max(4096) });
export type TRefreshInput = z.infer<typeof ZRefreshInput>;

export const ZUser = z.object({ id: z.number().int(), username: z.string(), email: z.string() }).meta({ id: 'User' });
export type TUser = z.infer<typeof ZUser>;

export const ZTokenPair = z.object({ access: z.string(), refresh: z.string() });
export type TTokenPair = z.infer<typeof ZTokenPair>;

export const ZAuthResult = ZTokenPair.extend({ user: ZUser }).meta({ id: 'AuthResult' });
export type TAuthResult = z.infer<typeof ZAuthResult>;

/** The OAuth2 token response, for form-encoded password grants (seed 000). */
export const ZOAuthTokenResult = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int(),
  refresh_token: z.string(),
});

/** Login answers the JSON form or, for form-encoded password grants, the OAuth2 form. */
export const ZLoginResult = z.union([ZAuthResult, ZOAuthTokenResult]);
export type TLoginResult = z.infer<typeof ZLoginResult>;

export const ZUserSearchInput = z.object({
  search: z.string().max(150).optional().describe('Username prefix (case-insensitive)'),
});
export const ZUserSummary = z.object({ id: z.number().int(), username: z.string() });
export const ZUserSearchResult = z.array(ZUserSummary);
