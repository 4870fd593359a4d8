import { describe, expect, it } from 'vitest';
import { createLogger, redact, runInRequestScope, scrub, type Logger } from './index.js';
import type { LogLevelName } from './index.js';

function capture(level: LogLevelName = 'debug'): { logger: Logger; lines: string[]; entries: () => Record<string, any>[] } {
  const lines: string[] = [];
  const logger = createLogger('unit', level, (line) => lines.push(line));
  return { logger, lines, entries: () => lines.map((l) => JSON.parse(l)) };
}

const EMAIL = 'priya.sharma@example.in';
const PASSWORD = 'correct-horse-battery-staple';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';
const PHONE = '+919876543210';

describe('createLogger', () => {
  it('writes one JSON line per entry with time, level, service and message', () => {
    const { logger, lines, entries } = capture();
    logger.info('order placed', { orderId: 'o1', lines: 3 });
    expect(lines).toHaveLength(1);
    const [entry] = entries();
    expect(entry).toMatchObject({ level: 'info', service: 'unit', msg: 'order placed', orderId: 'o1', lines: 3 });
    expect(new Date(entry.time).toISOString()).toBe(entry.time);
  });

  it('drops entries below the threshold and writes nothing when silent', () => {
    const warn = capture('warn');
    warn.logger.debug('d');
    warn.logger.info('i');
    warn.logger.warn('w');
    warn.logger.error('e');
    expect(warn.entries().map((e) => e.level)).toEqual(['warn', 'error']);

    const silent = capture('silent');
    silent.logger.error('boom', { a: 1 });
    silent.logger.child({ requestId: 'r' }).error('boom');
    expect(silent.lines).toEqual([]);
  });

  it('never writes passwords, tokens, emails, phone numbers or authorization headers', () => {
    const { logger, lines } = capture();
    logger.info('sign up', {
      email: EMAIL,
      password: PASSWORD,
      passwordHash: 'scrypt$32768$8$1$salt$hash-value',
      token: TOKEN,
      phone: PHONE,
      headers: { Authorization: `Bearer ${TOKEN}`, cookie: 'sid=abc123' },
      input: { user: { newPassword: PASSWORD, contactEmail: EMAIL } },
      attempts: [{ accessToken: TOKEN }, { refresh_token: TOKEN }],
      jwtSecret: 'super-secret-value',
    });
    const output = lines.join('\n');
    for (const secret of [EMAIL, PASSWORD, TOKEN, PHONE, 'sid=abc123', 'scrypt$', 'super-secret-value']) {
      expect(output).not.toContain(secret);
    }
    const entry = JSON.parse(lines[0]);
    expect(entry.email).toBe('[redacted]');
    expect(entry.headers.Authorization).toBe('[redacted]');
    expect(entry.input.user.contactEmail).toBe('[redacted]');
    expect(entry.attempts[1].refresh_token).toBe('[redacted]');
  });

  it('keeps ordinary fields next to redacted ones', () => {
    const { logger, entries } = capture();
    logger.warn('login failed', { userId: 'u1', password: PASSWORD, nested: { city: 'Pune', email: EMAIL } });
    expect(entries()[0]).toMatchObject({ userId: 'u1', password: '[redacted]', nested: { city: 'Pune', email: '[redacted]' } });
  });

  it('logs errors as name and message, with the stack at error level only, never their other properties', () => {
    const { logger, lines, entries } = capture();
    const error = Object.assign(new TypeError('database unreachable'), { connectionString: `mongodb://admin:${PASSWORD}@db` });
    logger.error('request failed', { error });
    logger.warn('retrying', { error });
    const [failed, retrying] = entries();
    expect(failed.error).toMatchObject({ name: 'TypeError', message: 'database unreachable' });
    expect(failed.error.stack).toContain('logger.test');
    expect(retrying.error).toEqual({ name: 'TypeError', message: 'database unreachable' });
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('scrubs emails, phone numbers and tokens inside messages and other text', () => {
    const { logger, lines, entries } = capture();
    const duplicate = new Error(`E11000 duplicate key error collection: users index: email_1 dup key: { email: "${EMAIL}" }`);
    logger.error('sign-up failed', { error: duplicate, note: `call ${PHONE} or 98765 43210, token ${TOKEN}`, count: 1234567890123 });
    const output = lines.join('\n');
    for (const secret of [EMAIL, PHONE, '98765 43210', TOKEN]) expect(output).not.toContain(secret);
    expect(entries()[0].error.message).toBe('E11000 duplicate key error collection: users index: email_1 dup key: { email: "[email]" }');
    expect(entries()[0].note).toBe('call [phone] or [phone], token [token]');
    // Numbers that are not text are not touched, and ordinary text survives.
    expect(entries()[0].count).toBe(1234567890123);
    expect(scrub('order 65f1c2d3e4b5a6978899aabb placed at 2026-11-28T10:00:00.000Z, total 129900')).toBe(
      'order 65f1c2d3e4b5a6978899aabb placed at 2026-11-28T10:00:00.000Z, total 129900',
    );
    // A UUID whose first groups are all digits (one request id in a few hundred) is not a phone number.
    expect(scrub('request 50959211-5662-478c-bd43-83be378754e1 retried')).toBe('request 50959211-5662-478c-bd43-83be378754e1 retried');
    expect(scrub('ring +91-98765-43210.')).toBe('ring [phone].');
  });

  it('adds the request id and operation of the request being served to every line', () => {
    const { logger, entries } = capture();
    logger.info('outside');
    runInRequestScope({ requestId: 'req-42', operationName: 'ProductPage' }, () => logger.child({ part: 'x' }).info('inside'));
    const [outside, inside] = entries();
    expect(outside.request_id).toBeUndefined();
    expect(inside).toMatchObject({ msg: 'inside', request_id: 'req-42', operation: 'ProductPage', part: 'x' });
  });

  it('child loggers add their fields, redacted too, to every entry', () => {
    const { logger, lines, entries } = capture();
    const child = logger.child({ requestId: 'r-1', authorization: `Bearer ${TOKEN}` });
    child.info('one');
    child.child({ userId: 'u1' }).info('two', { email: EMAIL });
    expect(entries()[0]).toMatchObject({ msg: 'one', requestId: 'r-1', authorization: '[redacted]' });
    expect(entries()[1]).toMatchObject({ msg: 'two', requestId: 'r-1', userId: 'u1', email: '[redacted]' });
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain(EMAIL);
  });
});

describe('redact', () => {
  it('does not write structures nested deeper than it inspects', () => {
    const deep = { a: { b: { c: { d: { e: { f: { password: 'hunter2', email: 'x@y.in' } } } } } } };
    const text = JSON.stringify(redact(deep));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('x@y.in');
    expect(text).toContain('[truncated]');
  });

  it('lets no field pose as the level, message or service', () => {
    const lines: string[] = [];
    createLogger('orders', 'info', (line) => lines.push(line)).info('real message', { level: 'error', msg: 'fake', service: 'users' });
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', msg: 'real message', service: 'orders' });
  });

  it('leaves scalars alone and does not change its input', () => {
    expect(redact('text')).toBe('text');
    expect(redact(42)).toBe(42);
    expect(redact(null)).toBeNull();
    const input = { password: PASSWORD };
    expect(redact(input)).toEqual({ password: '[redacted]' });
    expect(input.password).toBe(PASSWORD);
  });

  it('matches key names case-insensitively', () => {
    expect(redact({ PASSWORD: 1, Email: 2, X_Auth_Token: 3, clientSecret: 4, Phone: 5, name: 6 })).toEqual({
      PASSWORD: '[redacted]',
      Email: '[redacted]',
      X_Auth_Token: '[redacted]',
      clientSecret: '[redacted]',
      Phone: '[redacted]',
      name: 6,
    });
  });
});
