import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../errors.ts';

export interface RequestRateOptions {
  /** Requests allowed per user (or per address, without a token) in one window. */
  points: number;
  windowSeconds: number;
}

/**
 * The per-user request budget. With Redis every instance draws from one
 * budget; an in-memory limiter takes over while Redis is unreachable (the
 * client must not queue commands offline, or the fallback never engages).
 */
export function createRequestLimiter(options: RequestRateOptions, redis: Redis | undefined): RateLimiterAbstract {
  const limit = { points: options.points, duration: options.windowSeconds, keyPrefix: 'req_rate' };
  return redis
    ? new RateLimiterRedis({ ...limit, storeClient: redis, insuranceLimiter: new RateLimiterMemory(limit) })
    : new RateLimiterMemory(limit);
}

/** Takes one request from the key's budget; a spent budget is 429 with Retry-After (seconds). */
export async function consumeRequest(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw new AppError('RATE_LIMITED', `Too many requests; try again in ${retryAfter} s`, { retryAfter });
  }
}
