import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { requestScope } from './http/request-context.ts';

export type { Logger };

/**
 * JSON logs. A line written while a request is being served carries its
 * `requestId` (child loggers bind it themselves); secrets in headers and
 * bodies are redacted.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    mixin: (_object, _level, logger) => {
      const scope = requestScope.getStore();
      return scope && !('requestId' in logger.bindings()) ? { requestId: scope.requestId } : {};
    },
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
