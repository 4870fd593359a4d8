import type { LogLevelName } from './config.js';

/** Minimal structured JSON logger: one line per entry on stdout. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const LEVELS: Record<LogLevelName, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

// Field names whose values must never reach a log line (secrets and personal data).
const REDACTED_KEYS = /pass(word)?|secret|token|authorization|cookie|email|phone/i;

const MAX_DEPTH = 5;

export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  // Deeper structures are not inspected, so they are not written either.
  if (depth > MAX_DEPTH) return '[truncated]';
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = REDACTED_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

export function createLogger(
  service: string,
  level: LogLevelName = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  base: Record<string, unknown> = {},
): Logger {
  const threshold = LEVELS[level];
  const emit = (lvl: Exclude<LogLevelName, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < threshold) return;
    const fixed = { time: new Date().toISOString(), level: lvl, service, msg };
    // Fixed keys first for readability, and assigned again last so no field can pose as them.
    const entry = Object.assign({ ...fixed, ...base, ...(redact(fields ?? {}) as object) }, fixed);
    write(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(service, level, write, { ...base, ...(redact(fields) as object) }),
  };
}
