import { readWholeNumber, readWholeNumbers, type Env } from '@supergraph/runtime';

/** Phone login codes: how long they live, how often they may be asked for and tried. */
export interface OtpConfig {
  /** A code is valid this long (OTP_TTL_SECONDS, 300). */
  ttlSeconds: number;
  /** A new code for the same number at most this often (OTP_RESEND_SECONDS, 30). */
  resendSeconds: number;
  /** Wrong codes before the code is dead and a new one must be asked for (OTP_MAX_ATTEMPTS, 5). */
  maxAttempts: number;
  /** Budgets per 15-minute window (RATE_LIMIT_OTP_* variables). */
  limits: OtpLimitsConfig;
}

export interface OtpLimitsConfig {
  windowSeconds: number;
  requestsPerPhone: number;
  /**
   * Codes for one number asked for from one address per day, whatever the window: each is an SMS
   * someone pays for and the number's holder receives, so one sender cannot send a number five
   * codes every quarter hour all day (per address, so that it cannot lock the holder out either).
   */
  requestsPerPhonePerDay: number;
  /** Generous: carrier-grade NAT puts many phones behind one address. */
  requestsPerIp: number;
  verificationsPerPhone: number;
  verificationsPerIp: number;
}

const DEFAULT_LIMITS: OtpLimitsConfig = {
  windowSeconds: 15 * 60,
  requestsPerPhone: 5,
  requestsPerPhonePerDay: 10,
  requestsPerIp: 100,
  verificationsPerPhone: 15,
  verificationsPerIp: 300,
};

export function readOtpConfig(env: Env): OtpConfig {
  return {
    ttlSeconds: readWholeNumber(env, 'OTP_TTL_SECONDS', 300, 1, 3_600),
    resendSeconds: readWholeNumber(env, 'OTP_RESEND_SECONDS', 30, 1, 3_600),
    maxAttempts: readWholeNumber(env, 'OTP_MAX_ATTEMPTS', 5, 1, 20),
    limits: readWholeNumbers(
      env,
      {
        windowSeconds: 'RATE_LIMIT_OTP_WINDOW_SECONDS',
        requestsPerPhone: 'RATE_LIMIT_OTP_REQUESTS_PER_PHONE',
        requestsPerPhonePerDay: 'RATE_LIMIT_OTP_REQUESTS_PER_PHONE_PER_DAY',
        requestsPerIp: 'RATE_LIMIT_OTP_REQUESTS_PER_IP',
        verificationsPerPhone: 'RATE_LIMIT_OTP_VERIFICATIONS_PER_PHONE',
        verificationsPerIp: 'RATE_LIMIT_OTP_VERIFICATIONS_PER_IP',
      },
      DEFAULT_LIMITS,
      { min: 1, max: 100_000_000 },
    ),
  };
}
