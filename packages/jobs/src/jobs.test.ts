import { describe, expect, it } from 'vitest';
import { configErrorMessage } from '@supergraph/runtime/testing';
import { backoffDelay } from './backoff.js';
import { readJobsConfig } from './config.js';
import { jobId } from './job-ids.js';

describe('jobId', () => {
  it('is derived from what the job is for, the same every time', () => {
    expect(jobId('invoice', '65f0c0ffee0000000000abcd')).toBe('invoice.65f0c0ffee0000000000abcd');
    expect(jobId('order-status', 'abc', 'SHIPPED')).toBe(jobId('order-status', 'abc', 'SHIPPED'));
    expect(jobId('order-status', 'abc', 'SHIPPED')).not.toBe(jobId('order-status', 'abc', 'DELIVERED'));
  });

  it('refuses parts BullMQ would misread or that would make two ids collide', () => {
    expect(() => jobId('invoice', 'a:b')).toThrow(/":"/);
    expect(() => jobId('invoice', 'a.b')).toThrow(/must be non-empty/);
    expect(() => jobId('invoice', '')).toThrow(/must be non-empty/);
    expect(() => jobId('42')).toThrow(/bare number/);
  });
});

describe('backoffDelay', () => {
  const policy = { baseMs: 1_000, maxMs: 30_000 };

  it('doubles per attempt, with half of each step random', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(500);
    expect(backoffDelay(1, policy, () => 1)).toBe(1_000);
    expect(backoffDelay(2, policy, () => 0)).toBe(1_000);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(3_000);
  });

  it('stays within [step/2, step] whatever the randomness, and never past the cap', () => {
    for (let attempt = 1; attempt <= 60; attempt++) {
      const step = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
      for (const r of [0, 0.25, 0.999]) {
        const delay = backoffDelay(attempt, policy, () => r);
        expect(delay).toBeGreaterThanOrEqual(step / 2);
        expect(delay).toBeLessThanOrEqual(step);
      }
    }
    expect(backoffDelay(1_000, policy, () => 1)).toBe(30_000);
  });

  it('spreads jobs that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, policy)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('readJobsConfig', () => {
  it('has production defaults', () => {
    expect(readJobsConfig({})).toEqual({
      attempts: 8,
      backoff: { baseMs: 2_000, maxMs: 300_000 },
      keepCompletedSeconds: 86_400,
      keepFailedSeconds: 604_800,
      lockMs: 30_000,
      stalledIntervalMs: 30_000,
      concurrency: 4,
      invoiceConcurrency: 1,
    });
  });

  it('reads every variable and names the one that is wrong', () => {
    const config = readJobsConfig({ JOBS_ATTEMPTS: '3', JOBS_BACKOFF_MS: '100', JOBS_BACKOFF_MAX_MS: '50', JOBS_LOCK_MS: '1000' });
    expect(config.attempts).toBe(3);
    // A cap below the first step would make the first retry the longest; the step wins.
    expect(config.backoff).toEqual({ baseMs: 100, maxMs: 100 });
    expect(configErrorMessage(() => readJobsConfig({ JOBS_ATTEMPTS: '0' }))).toMatch(/JOBS_ATTEMPTS must be a whole number/);
    expect(configErrorMessage(() => readJobsConfig({ JOBS_STALLED_INTERVAL_MS: 'soon' }))).toMatch(/JOBS_STALLED_INTERVAL_MS/);
  });
});
