/**
 * Logging: pino, JSON lines on stderr (stdout belongs to events), with redaction so that tokens, secrets and
 * customer addresses never reach a log line even when a caller logs a whole object by mistake.
 */
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values are secrets or customer-identifying, at the top level and up to two levels down. */
const SENSITIVE_KEYS = [
  'authorization',
  'Authorization',
  'access_token',
  'accessToken',
  'token',
  'clientSecret',
  'client_secret',
  'secret',
  'password',
  'toAddress',
  'address',
  'addressFrom',
  'addressTo',
  'phoneNumber',
  'email',
  'textBody',
  'connectUri',
];

/** pino redact paths for {@link SENSITIVE_KEYS}. */
export const REDACT_PATHS: string[] = SENSITIVE_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export interface CreateLoggerOptions {
  level?: string;
  /** Where lines go; stderr by default. Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
  name?: string;
}

/** The process logger. Level from the option, else `SWITCHBOARD_LOG_LEVEL`, else `info`. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    name: options.name ?? 'switchboard',
    level: options.level ?? process.env.SWITCHBOARD_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(config, options.destination ?? pino.destination({ fd: 2, sync: false }));
}

/** A logger that discards everything: the default for library users who pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
