import { GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { revokes, type RevocationList, type TokenIdentity } from '@supergraph/auth';
import { ErrorCode } from '@supergraph/runtime';
import type { Admission, ClientIdentity } from '../admission.js';
import type { ClientLimits } from '../config.js';
import type { SubscriptionContext } from './prepare.js';

/** Close code for a socket over its client's connection cap (the 4xxx range is the application's). */
export const TOO_MANY_SOCKETS_CLOSE_CODE = 4429;

/** Counts what each client holds open on this instance, and refuses past a cap. */
class OpenCounter {
  private readonly counts = new Map<string, number>();

  /** Takes one slot for `key`; returns its release, or null when `max` are taken. */
  take(key: string, max: number): (() => void) | null {
    const now = this.counts.get(key) ?? 0;
    if (now >= max) return null;
    this.counts.set(key, now + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left === 0) this.counts.delete(key);
      else this.counts.set(key, left);
    };
  }

  size(): number {
    return this.counts.size;
  }
}

/** An error result a stream can carry to its client. */
export function errorResult(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): ExecutionResult {
  return { errors: [new GraphQLError(message, { extensions: { ...extensions, code } })] };
}

/**
 * What the subscription transports ask before and while serving a client: who it is (a revoked
 * token is refused), whether it has budget left, whether it may open one more socket or
 * subscription, and a callback when its session is revoked or its role changes, so its streams end
 * within moments on every gateway instance.
 *
 * Socket and subscription caps are per gateway instance: counting open connections across
 * instances would need a shared count that survives a crashed instance, which Redis keys with
 * heartbeats could give but at a cost per event; a load balancer spreads a client over few instances.
 */
export function createClientGuard(options: { admission: Admission; revocations: RevocationList; limits: ClientLimits }) {
  const sockets = new OpenCounter();
  const subscriptions = new OpenCounter();
  const watchers = new Set<{ token: TokenIdentity; end: () => void }>();
  const unsubscribe = options.revocations.onRevocation((revocation) => {
    for (const watcher of [...watchers]) {
      if (revokes(revocation, watcher.token)) {
        watchers.delete(watcher);
        watcher.end();
      }
    }
  });

  const capOf = (client: ClientIdentity, perUser: number, perIp: number) => (client.token ? perUser : perIp);

  return {
    identify: (authorization: string | undefined, clientIp: string | undefined) => options.admission.identify(authorization, clientIp),

    stillValid: (client: ClientIdentity) => options.admission.stillValid(client),

    /** Takes one operation from the client's budget; the refusal as a client error, or null. */
    spend: (client: ClientIdentity) => options.admission.spend(client),

    openSocket: (client: ClientIdentity) =>
      sockets.take(client.clientKey, capOf(client, options.limits.socketsPerUser, options.limits.socketsPerIp)),

    /** Runs a client's subscription, counted against its cap for as long as it runs; past the cap, one RATE_LIMITED result. */
    subscribe(
      args: ExecutionArgs,
      subscribe: (args: ExecutionArgs) => AsyncIterableIterator<ExecutionResult>,
    ): AsyncIterableIterator<ExecutionResult> {
      const { client } = args.contextValue as SubscriptionContext;
      const release = client
        ? subscriptions.take(client.clientKey, capOf(client, options.limits.subscriptionsPerUser, options.limits.subscriptionsPerIp))
        : () => {};
      if (!release) {
        return singleResult(
          errorResult(ErrorCode.RateLimited, 'Too many open subscriptions for this client; end one before starting another', {
            limit: 'subscriptions',
          }),
        );
      }
      return releasing(subscribe(args), release);
    },

    /** Calls `end` once when the token's session is revoked or its user's role changes; returns the cancel. */
    watch(token: TokenIdentity | null, end: () => void): () => void {
      if (!token) return () => {};
      const watcher = { token, end };
      watchers.add(watcher);
      return () => watchers.delete(watcher);
    },

    stats: () => ({ watchedStreams: watchers.size }),

    dispose(): void {
      unsubscribe();
      watchers.clear();
    },
  };
}

export type ClientGuard = ReturnType<typeof createClientGuard>;

/** A stream of one result, then done. */
function singleResult(result: ExecutionResult): AsyncIterableIterator<ExecutionResult> {
  let sent = false;
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next: async () => (sent ? { value: undefined, done: true } : ((sent = true), { value: result, done: false })),
    return: async () => ((sent = true), { value: undefined, done: true }),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** `stream`, calling `release` once when it ends, however it ends. */
function releasing(stream: AsyncIterableIterator<ExecutionResult>, release: () => void): AsyncIterableIterator<ExecutionResult> {
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next: async () => {
      try {
        const next = await stream.next();
        if (next.done) release();
        return next;
      } catch (error) {
        release();
        throw error;
      }
    },
    return: async () => {
      release();
      return (await stream.return?.()) ?? { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
