/**
 * An async iterator fed by pushes, for handing events to graphql-ws. `onClose`
 * runs exactly once: when the consumer returns (the client left, the server is
 * closing) or after the last buffered value of an ended or failed feed.
 */
export function createPushIterator<T>(onClose: () => void) {
  const buffered: T[] = [];
  const waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }[] = [];
  let ended = false;
  let failure: { error: unknown } | null = null;
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    onClose();
    for (const waiter of waiting.splice(0)) waiter.resolve({ value: undefined, done: true });
  };

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (buffered.length) return Promise.resolve({ value: buffered.shift()!, done: false });
      if (failure) {
        const { error } = failure;
        failure = null;
        close();
        return Promise.reject(error);
      }
      if (ended || closed) {
        close();
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      buffered.length = 0;
      close();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };

  return {
    iterator,
    push(value: T) {
      if (ended || closed) return;
      const waiter = waiting.shift();
      if (waiter) waiter.resolve({ value, done: false });
      else buffered.push(value);
    },
    end() {
      ended = true;
      if (buffered.length === 0) close();
    },
    fail(error: unknown) {
      if (ended || closed) return;
      ended = true;
      const waiter = waiting.shift();
      if (waiter) {
        close();
        waiter.reject(error);
      } else failure = { error };
    },
  };
}
