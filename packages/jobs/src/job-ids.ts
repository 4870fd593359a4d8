/**
 * A job's id, made from what the job is for (`invoice.<orderId>`, `order-status.<orderId>.SHIPPED`),
 * so enqueueing the same work twice finds the first job instead of adding a second.
 *
 * Parts are joined with `.`: BullMQ refuses a custom id holding `:` (it builds its Redis keys with
 * it), unless the id happens to have exactly three parts, which is too brittle to rely on.
 */
export function jobId(kind: string, ...parts: string[]): string {
  const all = [kind, ...parts];
  for (const part of all) {
    if (part === '' || /[:.\s]/.test(part)) {
      throw new Error(`job id part "${part}" must be non-empty, without ":", "." or spaces`);
    }
  }
  // A purely numeric id would be taken by BullMQ for one of its own counters.
  if (all.length === 1 && /^\d+$/.test(kind)) throw new Error('a job id must not be a bare number');
  return all.join('.');
}
