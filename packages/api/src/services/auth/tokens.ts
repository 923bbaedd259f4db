import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Config } from '../../config.ts';

export type TokenType = 'access' | 'refresh';

export interface TokenClaims {
  userId: number;
  sessionId: string;
  jti: string;
  type: TokenType;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** Why a token was refused, so the 401 can say what to do next. */
export type TokenProblem = 'expired' | 'malformed' | 'invalid' | 'wrong_type';

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; problem: TokenProblem };

const ALGORITHM = 'HS256';
const CACHE_LIMIT = 10_000;

/**
 * Signs and verifies the API's JWTs: pinned algorithm, issuer, audience and a
 * `token_type` claim, so a refresh token is never taken for an access token.
 * Verified access claims are cached until they expire (verification is the
 * hot path of every request); session revocation is checked separately.
 */
export class TokenService {
  private readonly cache = new Map<string, TokenClaims>();
  /** The secret as a key, imported once: given the raw bytes, jose imports them again on every call. */
  private key: Promise<CryptoKey> | undefined;

  constructor(private readonly jwt: Config['jwt']) {}

  get accessTtl(): number {
    return this.jwt.accessTtl;
  }

  async sign(type: TokenType, userId: number, sessionId: string, jti: string = randomUUID()): Promise<string> {
    const ttl = type === 'access' ? this.jwt.accessTtl : this.jwt.refreshTtl;
    return new SignJWT({ token_type: type, sid: sessionId })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(String(userId))
      .setJti(jti)
      .setIssuer(this.jwt.issuer)
      .setAudience(this.jwt.audience)
      .setIssuedAt()
      .setExpirationTime(`${ttl}s`)
      .sign(await this.hmacKey());
  }

  private hmacKey(): Promise<CryptoKey> {
    return (this.key ??= crypto.subtle.importKey('raw', this.jwt.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']));
  }

  /** Returns the claims of a valid token of the given type, or null. */
  async verify(token: string, type: TokenType): Promise<TokenClaims | null> {
    const result = await this.check(token, type);
    return result.ok ? result.claims : null;
  }

  /** Verifies a token of the given type; a refusal names its reason. */
  async check(token: string, type: TokenType): Promise<TokenCheck> {
    const nowSeconds = Date.now() / 1000;
    const cached = type === 'access' ? this.cache.get(token) : undefined;
    if (cached) {
      if (cached.exp > nowSeconds) return { ok: true, claims: cached };
      this.cache.delete(token);
      return { ok: false, problem: 'expired' };
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.hmacKey(), {
        algorithms: [ALGORITHM],
        issuer: this.jwt.issuer,
        audience: this.jwt.audience,
        requiredClaims: ['sub', 'jti', 'exp', 'sid', 'token_type'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { ok: false, problem: 'expired' };
      // Not three base64url parts of JSON: not a JWT at all.
      if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof TypeError) {
        return { ok: false, problem: 'malformed' };
      }
      if (error instanceof errors.JOSEError) return { ok: false, problem: 'invalid' };
      throw error;
    }
    if (payload['token_type'] !== type) return { ok: false, problem: 'wrong_type' };
    const userId = Number(payload.sub);
    const sessionId = payload['sid'];
    if (!Number.isSafeInteger(userId) || typeof sessionId !== 'string' || typeof payload.jti !== 'string') {
      return { ok: false, problem: 'invalid' };
    }
    const claims: TokenClaims = { userId, sessionId, jti: payload.jti, type, exp: payload.exp! };
    if (type === 'access') {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(token, claims);
    }
    return { ok: true, claims };
  }
}
