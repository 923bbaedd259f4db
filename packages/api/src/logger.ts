import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs; secrets in headers and bodies are redacted. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'password', '*.password', 'refresh', '*.refresh', 'access', '*.access'],
      censor: '[redacted]',
    },
  });
}
