import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * JSON logs; secrets in headers and bodies are redacted. Lines about a
 * request come from `requestLogger`, which binds its `requestId`.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'authorization',
        'password',
        '*.password',
        'refresh',
        '*.refresh',
        'access',
        '*.access',
        'token',
        '*.token',
        'access_token',
        'refresh_token',
        '*.password_hash',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
