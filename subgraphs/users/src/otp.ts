import { createHash, createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { appError, badInput, ErrorCode, type Logger } from '@supergraph/runtime';
import type { Redis } from 'ioredis';
import { createRateLimit, rateLimitedError, type RateLimit } from '@supergraph/rate-limits';
import { isDuplicateKeyError } from '@supergraph/subgraph-kit';
import { jobId, QUEUES, type JobQueues, type SmsJob } from '@supergraph/jobs';
import type { OtpConfig, OtpLimitsConfig } from './otp-config.js';
import type { OtpChallengeModel } from './otp-model.js';
import { normaliseIndianMobile } from './phone.js';

export const OTP_DIGITS = 6;

/** What a client is told after asking for a code: when it stops working and when another may be asked for. */
export interface OtpChallenge {
  phone: string;
  expiresAt: Date;
  resendAt: Date;
}

export interface OtpBudgets {
  requestsPerPhone: RateLimit;
  requestsPerPhonePerDay: RateLimit;
  requestsPerIp: RateLimit;
  verificationsPerPhone: RateLimit;
  verificationsPerIp: RateLimit;
}

/** The budgets of phone login, in Redis across instances (in memory while Redis is away). */
export function createOtpBudgets(limits: OtpLimitsConfig, store: { redis: Redis | null; prefix: string }): OtpBudgets {
  const rule = (name: string, points: number, block = false) => ({
    name,
    points,
    durationSeconds: limits.windowSeconds,
    // Tries for a number, once spent, stay refused for the rest of the window, whatever code comes next.
    ...(block ? { blockSeconds: limits.windowSeconds } : {}),
  });
  return {
    requestsPerPhone: createRateLimit(rule('otp-requests-per-phone', limits.requestsPerPhone), store),
    requestsPerPhonePerDay: createRateLimit(
      { name: 'otp-requests-per-phone-day', points: limits.requestsPerPhonePerDay, durationSeconds: 86_400 },
      store,
    ),
    requestsPerIp: createRateLimit(rule('otp-requests-per-ip', limits.requestsPerIp), store),
    verificationsPerPhone: createRateLimit(rule('otp-verifications-per-phone', limits.verificationsPerPhone, true), store),
    verificationsPerIp: createRateLimit(rule('otp-verifications-per-ip', limits.verificationsPerIp), store),
  };
}

export interface OtpServices {
  challenges: OtpChallengeModel;
  jobs: JobQueues;
  budgets: OtpBudgets;
  config: OtpConfig;
  /** Secret for the codes' hashes, derived from this service's signing key: a database dump alone cannot reverse them. */
  hashKey: Buffer;
  logger: Logger;
  now?: () => number;
}

/** The key codes are hashed with, derived from a secret only this service holds (its signing key's private part). */
export function otpHashKey(secret: string): Buffer {
  return createHash('sha256').update(`bharatmart otp v1\0${secret}`).digest();
}

function hashCode(key: Buffer, challengeId: string, code: string): string {
  return createHmac('sha256', key).update(`${challengeId}\0${code}`).digest('hex');
}

const wrongCode = (why: string) => appError(ErrorCode.Unauthenticated, `code: ${why}`, { field: 'code' });

/**
 * Issues a code for `rawPhone` and hands its SMS to the worker. The answer is the same whether or
 * not the number has an account. Throws RATE_LIMITED during the resend cool-down or past a budget,
 * and SERVICE_UNAVAILABLE (with nothing kept) when the job queue cannot take the message.
 */
export async function requestOtp(services: OtpServices, rawPhone: string, clientIp: string | undefined): Promise<OtpChallenge> {
  const phone = normaliseIndianMobile(rawPhone);
  const { budgets, config, challenges } = services;
  if (clientIp) await budgets.requestsPerIp.consume(clientIp, 'Too many login codes asked for from this address');
  const daily = numberFromAddress(phone, clientIp);
  const now = services.now?.() ?? Date.now();
  // The cool-down is checked before the per-number budget is spent, so polling during it costs nothing.
  const current = await challenges.findById(phone, { resendAt: 1 }).lean();
  if (current && current.resendAt.getTime() > now) throw coolDown(current.resendAt.getTime() - now);
  await budgets.requestsPerPhone.consume(phone, 'Too many login codes asked for this number');
  try {
    await budgets.requestsPerPhonePerDay.consume(daily, 'Too many login codes asked for this number from this address today');
  } catch (error) {
    // No code goes out: the window's point is not spent either.
    await budgets.requestsPerPhone.giveBack(phone, 1).catch(() => undefined);
    throw error;
  }

  const code = String(randomInt(0, 10 ** OTP_DIGITS)).padStart(OTP_DIGITS, '0');
  const challengeId = randomUUID();
  const fresh = {
    challengeId,
    codeHash: hashCode(services.hashKey, challengeId, code),
    expiresAt: new Date(now + config.ttlSeconds * 1_000),
    resendAt: new Date(now + config.resendSeconds * 1_000),
    attempts: 0,
    createdAt: new Date(now),
  };
  // Replace the number's challenge only if its cool-down is over (one atomic update), else create
  // it; two requests racing through the check above leave exactly one code.
  const replaced = await challenges.findOneAndUpdate({ _id: phone, resendAt: { $lte: new Date(now) } }, { $set: fresh }).lean();
  if (!replaced) {
    try {
      await challenges.create({ _id: phone, ...fresh });
    } catch (error) {
      // Another request created it between the update and this insert: that one's code stands.
      if (isDuplicateKeyError(error)) throw coolDown(config.resendSeconds * 1_000);
      throw error;
    }
  }

  const sms: SmsJob = {
    to: phone,
    message: `${code} is your BharatMart login code. It expires in ${Math.round(config.ttlSeconds / 60) || 1} min. Never share it.`,
  };
  try {
    // Removed once sent: the code is a secret, and a completed job (data included) would stay readable
    // in Redis and on the dashboard. Each challenge is enqueued once, so nothing relies on keeping it.
    await services.jobs.enqueue(QUEUES.sms, 'otp', jobId('otp-sms', challengeId), sms, { keepCompleted: false });
  } catch (error) {
    // No message will come: drop the code, so the cool-down does not hold the customer back.
    await challenges.deleteOne({ _id: phone, challengeId }).catch(() => undefined);
    await budgets.requestsPerPhone.giveBack(phone, 1).catch(() => undefined);
    await budgets.requestsPerPhonePerDay.giveBack(daily, 1).catch(() => undefined);
    services.logger.warn('login code could not be queued for sending', { error });
    throw appError(ErrorCode.ServiceUnavailable, 'The login code could not be sent just now; nothing was kept. Retry shortly.');
  }
  return { phone, expiresAt: fresh.expiresAt, resendAt: fresh.resendAt };
}

/**
 * The key of the budgets that would lock a number's holder out if anyone could spend them (codes a
 * day, tries a window): the number together with the address asking, so a stranger spending them
 * from elsewhere does not stop the holder. The number's own window budget (codes per window) and
 * each code's tries still cap what all addresses together can send or guess.
 */
function numberFromAddress(phone: string, clientIp: string | undefined): string {
  return `${phone}|${clientIp ?? 'no-address'}`;
}

function coolDown(ms: number) {
  const rule = { name: 'otp-resend', points: 1, durationSeconds: 0 };
  return rateLimitedError(rule, ms, 'A login code was sent to this number moments ago; ask for a new one after the cool-down');
}

/**
 * Checks `rawCode` against the number's live code: each try counts (atomically) before it is
 * compared, a used, expired or exhausted code never works again. Returns the verified E.164 number.
 */
export async function verifyOtp(services: OtpServices, rawPhone: string, rawCode: string, clientIp: string | undefined): Promise<string> {
  const phone = normaliseIndianMobile(rawPhone);
  const code = rawCode.trim();
  if (!new RegExp(`^\\d{${OTP_DIGITS}}$`).test(code)) throw badInput('code', `must be the ${OTP_DIGITS}-digit code from the SMS`);
  const { budgets, config, challenges } = services;
  if (clientIp) await budgets.verificationsPerIp.consume(clientIp, 'Too many login codes tried from this address');
  const now = new Date(services.now?.() ?? Date.now());

  const challenge = await challenges
    .findOneAndUpdate(
      { _id: phone, attempts: { $lt: config.maxAttempts }, expiresAt: { $gt: now } },
      { $inc: { attempts: 1 } },
      { new: true },
    )
    .lean();
  if (!challenge) {
    const dead = await challenges.findById(phone, { expiresAt: 1, attempts: 1 }).lean();
    if (dead && dead.expiresAt > now) throw wrongCode(`too many wrong codes; ask for a new one with requestOtp`);
    throw wrongCode('no live code for this number (it expired or was used); ask for a new one with requestOtp');
  }
  // Only a try against a live code counts for the number (each has taken one of the code's tries
  // above): codes tried while there is none to guess cannot lock the number's holder out.
  await budgets.verificationsPerPhone.consume(numberFromAddress(phone, clientIp), 'Too many login codes tried for this number');
  const expected = Buffer.from(challenge.codeHash, 'hex');
  const given = Buffer.from(hashCode(services.hashKey, challenge.challengeId, code), 'hex');
  if (!timingSafeEqual(expected, given)) {
    const left = config.maxAttempts - challenge.attempts;
    throw wrongCode(
      left > 0 ? `wrong code; ${left} ${left === 1 ? 'try' : 'tries'} left` : 'wrong code; ask for a new one with requestOtp',
    );
  }
  // Used up by whichever verification deletes it first: a code logs in once.
  const { deletedCount } = await challenges.deleteOne({ _id: phone, challengeId: challenge.challengeId });
  if (deletedCount !== 1) throw wrongCode('this code was already used; ask for a new one with requestOtp');
  await budgets.verificationsPerPhone.reset(numberFromAddress(phone, clientIp)).catch(() => undefined);
  return phone;
}
