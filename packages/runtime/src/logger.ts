import { pino, stdTimeFunctions, type Logger as PinoLogger } from 'pino';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { LogLevelName } from './config.js';
import { currentRequestScope } from './request-scope.js';

/** Structured JSON logger (pino underneath): one line per entry on stdout. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

// Field names whose values must never reach a log line (secrets and personal data).
const REDACTED_KEYS = /pass(word)?|secret|token|authorization|cookie|email|phone/i;

// pino's own redaction, for the well-known places; `redact` below also covers any depth and any
// spelling of those names, which path lists cannot.
const PINO_REDACT_PATHS = [
  'password',
  'token',
  'email',
  'phone',
  'authorization',
  '*.password',
  '*.token',
  '*.email',
  '*.phone',
  '*.authorization',
];

// Personal data and credentials inside free text (a driver's error message quoting the duplicate
// email, a document with a phone number in it).
const SCRUBBERS: [RegExp, string][] = [
  [/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[token]'],
  [/\bBearer\s+\S+/gi, 'Bearer [token]'],
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, '[email]'],
  // Not inside a longer token: a UUID such as a request id (50959211-5662-…) is digits and dashes too.
  [/(?<![\w.:-])\+?\d(?:[\s-]?\d){9,14}(?![\w-]|\.\d)/g, '[phone]'],
];

const MAX_DEPTH = 5;

/** Replaces emails, phone numbers and tokens inside a text with placeholders. */
export function scrub(text: string): string {
  return SCRUBBERS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/**
 * A copy of `value` safe to log: secret and personal fields replaced, free text scrubbed, errors
 * reduced to name and message (and the stack when `stacks`), never their other properties (a
 * driver error can carry its connection string).
 */
export function redact(value: unknown, depth = 0, stacks = false): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object') return value;
  // Deeper structures are not inspected, so they are not written either.
  if (depth > MAX_DEPTH) return '[truncated]';
  if (value instanceof Error) {
    return { name: value.name, message: scrub(value.message), ...(stacks && value.stack ? { stack: scrub(value.stack) } : {}) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, stacks));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = REDACTED_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1, stacks);
  }
  return out;
}

// Keys pino writes itself: a field of the same name would make a second key the reader takes instead.
const RESERVED_KEYS = new Set(['time', 'level', 'service', 'msg', 'request_id', 'trace_id', 'span_id', 'operation']);

function withoutReserved(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (!RESERVED_KEYS.has(k)) out[k] = v;
  return out;
}

/** The request and trace this line belongs to, so one request's lines join up across services. */
function correlation(): Record<string, string> {
  const fields: Record<string, string> = {};
  const scope = currentRequestScope();
  if (scope) {
    fields.request_id = scope.requestId;
    if (scope.operationName) fields.operation = scope.operationName;
  }
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) {
    fields.trace_id = span.traceId;
    fields.span_id = span.spanId;
  }
  return fields;
}

function wrap(logger: PinoLogger): Logger {
  const emit = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>) => {
    if (!logger.isLevelEnabled(level)) return;
    // Stacks only for errors: those are the unexpected failures someone has to find in the code.
    logger[level](withoutReserved(redact(fields ?? {}, 0, level === 'error') as Record<string, unknown>), msg);
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => wrap(logger.child(withoutReserved(redact(fields) as Record<string, unknown>))),
  };
}

/**
 * A service's logger. `write` receives each line without its newline (tests capture lines with
 * it); by default lines go to stdout.
 */
export function createLogger(
  service: string,
  level: LogLevelName = 'info',
  write?: (line: string) => void,
  base: Record<string, unknown> = {},
): Logger {
  const logger = pino(
    {
      level,
      base: { service },
      messageKey: 'msg',
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: correlation,
      redact: { paths: PINO_REDACT_PATHS, censor: '[redacted]' },
    },
    write ? { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) } : undefined,
  );
  return wrap(Object.keys(base).length ? logger.child(withoutReserved(redact(base) as Record<string, unknown>)) : logger);
}
