/**
 * An async iterator fed by pushes, for handing events to graphql-ws. `onClose`
 * runs exactly once: when the consumer returns (the client left, the server is
 * closing) or after the last buffered value of an ended or failed feed.
 * A consumer that falls more than `maxBuffered` values behind is failed with
 * `overflowError()` instead of growing memory without bound.
 */
export function createPushIterator<T>(
  onClose: () => void,
  {
    maxBuffered = Number.POSITIVE_INFINITY,
    overflowError = () => new Error('consumer too slow'),
  }: { maxBuffered?: number; overflowError?: () => unknown } = {},
) {
  const buffered: T[] = [];
  const waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }[] = [];
  let ended = false;
  let failure: { error: unknown } | null = null;
  let released = false;

  /** Releases the feed (once). Waiting readers are told the stream is done. */
  const release = () => {
    if (released) return;
    released = true;
    onClose();
    for (const waiter of waiting.splice(0)) waiter.resolve({ value: undefined, done: true });
  };

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (buffered.length) return Promise.resolve({ value: buffered.shift()!, done: false });
      if (failure) {
        const { error } = failure;
        failure = null;
        release();
        // Handed on exactly as the producer failed with it (a GraphQLError for overflow).
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        return Promise.reject(error);
      }
      if (ended || released) {
        release();
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      buffered.length = 0;
      failure = null;
      ended = true;
      release();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };

  const fail = (error: unknown) => {
    if (ended || released) return;
    ended = true;
    const waiter = waiting.shift();
    if (waiter) {
      release();
      waiter.reject(error);
      return;
    }
    // Nobody is reading: keep the error for the next read, but let go of the feed now.
    failure = { error };
    release();
  };

  // Plain functions (no `this`), so they can be handed around as callbacks.
  return {
    iterator,
    push: (value: T) => {
      if (ended || released) return;
      const waiter = waiting.shift();
      if (waiter) waiter.resolve({ value, done: false });
      else if (buffered.length >= maxBuffered) {
        buffered.length = 0;
        fail(overflowError());
      } else buffered.push(value);
    },
    end: () => {
      ended = true;
      if (buffered.length === 0) release();
    },
    fail,
  };
}
