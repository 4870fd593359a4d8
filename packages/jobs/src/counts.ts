import type { Queue } from 'bullmq';
import { JOB_STATES, type JobState } from './queues.js';

export type QueueCounts = Record<string, Record<JobState, number>>;

/** How many jobs each queue holds in each state: for /health, /metrics and alerting on the failed set. */
export async function queueCounts(queues: Queue[]): Promise<QueueCounts> {
  const entries = await Promise.all(
    queues.map(async (queue) => {
      const counts = await queue.getJobCounts(...JOB_STATES);
      return [queue.name, Object.fromEntries(JOB_STATES.map((state) => [state, counts[state] ?? 0])) as Record<JobState, number>] as const;
    }),
  );
  return Object.fromEntries(entries);
}
