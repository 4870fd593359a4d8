import { randomBytes, randomInt } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullPrefix, createJobQueues, jobId, QUEUES, readJobsConfig, type JobQueues, type SmsJob } from '@supergraph/jobs';
import { createRateLimit } from '@supergraph/rate-limits';
import { createLogger, createRedisClient } from '@supergraph/runtime';
import { rejectedGraphQLError } from '@supergraph/runtime/testing';
import { connectMongo } from '@supergraph/subgraph-kit';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';
import { readOtpConfig } from './otp-config.js';
import { otpHashKey, requestOtp, verifyOtp, type OtpServices } from './otp.js';
import { registerOtpModel } from './otp-model.js';

// Real database and real Redis (BullMQ): the code is read back from the queued SMS job, as the worker would.
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `otp-unit-${randomBytes(4).toString('hex')}`;
const logger = createLogger('test', 'silent');
let connection: Connection;
let jobs: JobQueues;
let queue: Queue<SmsJob>;
let clock = Date.now();

function services(overrides: Partial<OtpServices> = {}): OtpServices {
  const limit = (name: string, points = 1_000) =>
    createRateLimit({ name: `${prefix}-${name}`, points, durationSeconds: 900 }, { redis: null, prefix });
  return {
    challenges: registerOtpModel(connection),
    jobs,
    config: readOtpConfig({}),
    hashKey: otpHashKey('test-secret'),
    logger,
    now: () => clock,
    budgets: {
      requestsPerPhone: limit('rpp'),
      requestsPerPhonePerDay: limit('rppd'),
      requestsPerIp: limit('rpi'),
      verificationsPerPhone: limit('vpp'),
      verificationsPerIp: limit('vpi'),
    },
    ...overrides,
  };
}

const newPhone = () => `+9199${String(randomInt(0, 1e8)).padStart(8, '0')}`;

/** The code in the SMS job queued for the challenge of `phone`. */
async function queuedCode(phone: string): Promise<string> {
  const stored = await registerOtpModel(connection).findById(phone).lean();
  const job = await queue.getJob(jobId('otp-sms', stored!.challengeId));
  expect(job?.data.to).toBe(phone);
  return /\b(\d{6})\b/.exec(job!.data.message)![1];
}

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('users_otp'), logger);
  jobs = createJobQueues({ redisUrl, redisPrefix: prefix, logger, config: readJobsConfig({}), name: 'otp-test' });
  queue = new Queue<SmsJob>(QUEUES.sms, { connection: createRedisClient(redisUrl, logger, 'otp-test-read'), prefix: bullPrefix(prefix) });
});

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await jobs?.close();
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

describe('requestOtp and verifyOtp', () => {
  it('queues the code in an SMS job and stores only its hash; the code works once', async () => {
    const phone = newPhone();
    const challenge = await requestOtp(services(), phone.slice(3), '10.0.0.1');
    expect(challenge).toEqual({ phone, expiresAt: new Date(clock + 300_000), resendAt: new Date(clock + 30_000) });
    const code = await queuedCode(phone);
    const stored = await registerOtpModel(connection).findById(phone).lean();
    expect(JSON.stringify(stored)).not.toContain(code);
    expect(await verifyOtp(services(), `0${phone.slice(3)}`, code, '10.0.0.1')).toBe(phone);
    const again = await rejectedGraphQLError(verifyOtp(services(), phone, code, '10.0.0.1'));
    expect(again.extensions).toMatchObject({ code: 'UNAUTHENTICATED', field: 'code' });
  });

  it('refuses a code after its lifetime', async () => {
    const phone = newPhone();
    await requestOtp(services(), phone, undefined);
    const code = await queuedCode(phone);
    clock += 300_001;
    const late = await rejectedGraphQLError(verifyOtp(services(), phone, code, undefined));
    expect(late.message).toMatch(/^code: no live code/);
  });

  it('counts every try and kills the code at the fifth wrong one', async () => {
    const phone = newPhone();
    await requestOtp(services(), phone, undefined);
    const code = await queuedCode(phone);
    const wrong = String((Number(code) + 1) % 1e6).padStart(6, '0');
    const messages: string[] = [];
    for (let i = 0; i < 5; i++) messages.push((await rejectedGraphQLError(verifyOtp(services(), phone, wrong, undefined))).message);
    expect(messages).toEqual([
      'code: wrong code; 4 tries left',
      'code: wrong code; 3 tries left',
      'code: wrong code; 2 tries left',
      'code: wrong code; 1 try left',
      'code: wrong code; ask for a new one with requestOtp',
    ]);
    expect((await rejectedGraphQLError(verifyOtp(services(), phone, code, undefined))).message).toMatch(/too many wrong codes/);
  });

  it('counts simultaneous wrong tries exactly (no more than the maximum get compared)', async () => {
    const phone = newPhone();
    await requestOtp(services(), phone, undefined);
    const code = await queuedCode(phone);
    const wrong = String((Number(code) + 7) % 1e6).padStart(6, '0');
    await Promise.allSettled(Array.from({ length: 8 }, () => verifyOtp(services(), phone, wrong, undefined)));
    const stored = await registerOtpModel(connection).findById(phone).lean();
    expect(stored!.attempts).toBe(5);
  });

  it('holds a new code back during the cool-down, with retryAfterSeconds, and replaces the old code after it', async () => {
    const phone = newPhone();
    await requestOtp(services(), phone, undefined);
    const first = await queuedCode(phone);
    clock += 10_000;
    const early = await rejectedGraphQLError(requestOtp(services(), phone, undefined));
    expect(early.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 20 });
    clock += 20_000;
    await requestOtp(services(), phone, undefined);
    const second = await queuedCode(phone);
    if (second !== first) await expect(verifyOtp(services(), phone, first, undefined)).rejects.toThrow(/^code: wrong code/);
    expect(await verifyOtp(services(), phone, second, undefined)).toBe(phone);
  });

  it('keeps nothing when the SMS cannot be queued, so the customer may ask again at once', async () => {
    const phone = newPhone();
    const down = createJobQueues({
      redisUrl: 'redis://127.0.0.1:1',
      redisPrefix: prefix,
      logger,
      config: readJobsConfig({}),
      name: 'otp-test-down',
    });
    try {
      const error = await rejectedGraphQLError(requestOtp(services({ jobs: down }), phone, undefined));
      expect(error.extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(await registerOtpModel(connection).findById(phone).lean()).toBeNull();
    } finally {
      await down.close();
    }
    await requestOtp(services(), phone, undefined);
    expect(await queuedCode(phone)).toMatch(/^\d{6}$/);
  });

  it('caps the codes one address has sent one number per day, beyond the window budget, without locking the holder out', async () => {
    const phone = newPhone();
    const daily = services({
      budgets: {
        ...services().budgets,
        requestsPerPhonePerDay: createRateLimit(
          { name: `${prefix}-daily-${phone}`, points: 2, durationSeconds: 86_400 },
          { redis: null, prefix },
        ),
      },
    });
    for (let i = 0; i < 2; i++) {
      await requestOtp(daily, phone, '10.1.1.1');
      clock += 31_000; // past the cool-down
    }
    const over = await rejectedGraphQLError(requestOtp(daily, phone, '10.1.1.1'));
    expect(over.extensions.code).toBe('RATE_LIMITED');
    expect(over.message).toMatch(/today/);
    // The number's holder, asking from their own address, still gets a code.
    await requestOtp(daily, phone, '10.2.2.2');
    expect(await queuedCode(phone)).toMatch(/^\d{6}$/);
  });

  it('counts tries against a number only while it has a live code, and per address, so a stranger cannot lock its holder out', async () => {
    const phone = newPhone();
    const strict = services({
      budgets: {
        ...services().budgets,
        verificationsPerPhone: createRateLimit(
          { name: `${prefix}-vpp-${phone}`, points: 2, durationSeconds: 900, blockSeconds: 900 },
          { redis: null, prefix },
        ),
      },
    });
    for (let i = 0; i < 5; i++) {
      const junk = await rejectedGraphQLError(verifyOtp(strict, phone, '000000', '10.3.3.3'));
      expect(junk.extensions).toMatchObject({ code: 'UNAUTHENTICATED', field: 'code' });
    }
    await requestOtp(strict, phone, '10.4.4.4');
    const code = await queuedCode(phone);
    // A stranger's wrong tries at the live code spend their own address's budget, not the holder's.
    const wrong = code === '111111' ? '222222' : '111111';
    await rejectedGraphQLError(verifyOtp(strict, phone, wrong, '10.3.3.3'));
    await rejectedGraphQLError(verifyOtp(strict, phone, wrong, '10.3.3.3'));
    expect((await rejectedGraphQLError(verifyOtp(strict, phone, wrong, '10.3.3.3'))).extensions.code).toBe('RATE_LIMITED');
    expect(await verifyOtp(strict, phone, code, '10.4.4.4')).toBe(phone);
  });

  it('spends the per-number and per-address budgets', async () => {
    const tight = services({
      budgets: {
        ...services().budgets,
        requestsPerIp: createRateLimit({ name: `${prefix}-tight-ip`, points: 1, durationSeconds: 900 }, { redis: null, prefix }),
      },
    });
    await requestOtp(tight, newPhone(), '10.9.9.9');
    const over = await rejectedGraphQLError(requestOtp(tight, newPhone(), '10.9.9.9'));
    expect(over.extensions.code).toBe('RATE_LIMITED');
  });
});
