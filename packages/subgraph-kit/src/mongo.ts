import { setTimeout as sleep } from 'node:timers/promises';
import mongoose, { type Connection } from 'mongoose';
import { appError, ErrorCode, type FailureTranslator, type Logger } from '@supergraph/runtime';

export interface MongoOptions {
  /** Emit driver command events (used by tests that count round trips). */
  monitorCommands?: boolean;
  /** How long an operation waits for a reachable database before failing (MONGODB_SERVER_SELECTION_TIMEOUT_MS). */
  serverSelectionTimeoutMs?: number;
  /** How long one command waits for the database's reply before failing (MONGODB_OPERATION_TIMEOUT_MS). */
  operationTimeoutMs?: number;
}

/** Defaults of the two timeouts above (SubgraphConfig reads the variables with these). */
export const DEFAULT_MONGO_SERVER_SELECTION_TIMEOUT_MS = 2_000;
// Generous: the local database runs one command at a time, so a reply can wait behind others under load.
export const DEFAULT_MONGO_OPERATION_TIMEOUT_MS = 15_000;

/** How long start-up keeps trying to reach the database (it may be starting beside the service). */
const STARTUP_WAIT_MS = 20_000;

/**
 * Opens one connection pool for the process. Each service owns its own
 * connection (not mongoose's global one), so several services can share a
 * process in tests without sharing models.
 *
 * While the database is away, operations fail fast instead of queueing: commands are not
 * buffered by mongoose (buffering would hold every request until the database returns or 10 s
 * pass), and the driver waits at most `serverSelectionTimeoutMs` for a reachable server, then
 * throws a selection error that `databaseOutage` turns into SERVICE_UNAVAILABLE. The driver keeps
 * monitoring the server and reconnects by itself when it answers again: nothing restarts.
 */
export async function connectMongo(uri: string, logger: Logger, options: MongoOptions = {}): Promise<Connection> {
  const serverSelectionTimeoutMs = options.serverSelectionTimeoutMs ?? DEFAULT_MONGO_SERVER_SELECTION_TIMEOUT_MS;
  const startedAt = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    const connection = mongoose.createConnection(uri, {
      bufferCommands: false,
      serverSelectionTimeoutMS: serverSelectionTimeoutMs,
      // A reply that does not come (a database hung or a network dropping packets) fails the operation
      // instead of holding the request; the pool then opens a fresh socket.
      socketTimeoutMS: options.operationTimeoutMs ?? DEFAULT_MONGO_OPERATION_TIMEOUT_MS,
      // Not the selection timeout: the driver's monitor checks the server with this timeout too, and a
      // busy server answering a check late must not be taken for a lost one (that fails every request).
      connectTimeoutMS: 10_000,
      maxPoolSize: 20,
      monitorCommands: options.monitorCommands ?? false,
    });
    try {
      await connection.asPromise();
      connection.on('disconnected', () => logger.warn('mongodb disconnected; operations fail with SERVICE_UNAVAILABLE until it is back'));
      connection.on('reconnected', () => logger.info('mongodb reconnected'));
      return connection;
    } catch (error) {
      await connection.close().catch(() => {});
      if (!isDatabaseUnavailableError(error) || Date.now() - startedAt >= STARTUP_WAIT_MS) throw error;
      logger.warn('mongodb not reachable yet; retrying', { attempt, error });
      await sleep(500);
    }
  }
}

/** Throws when the database does not answer a ping. */
export async function pingMongo(connection: Connection): Promise<void> {
  if (!connection.db) throw new Error('mongodb connection is not open');
  await connection.db.admin().command({ ping: 1 });
}

/** MongoDB reports a unique-index violation as code 11000 (FerretDB too, on insert). */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

const { MongoNetworkError, MongoServerSelectionError, MongoTopologyClosedError, MongoNotConnectedError } = mongoose.mongo;

/**
 * Node's codes for a connection refused, reset or cut. The driver passes some socket errors on as
 * they are: a command written to a socket the database has just closed fails with Node's own EPIPE
 * ("This socket has been ended by the other party"), not a MongoNetworkError.
 */
const SOCKET_ERROR_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * True for the driver's errors that mean "the database could not be reached or stopped answering":
 * no server to select, a network error or timeout on a socket (a pool cleared by one included),
 * a socket error it passed on as it was, or a client that is closed or not connected. Errors the
 * database itself returned (a duplicate key, a bad command) are not among them.
 */
export function isDatabaseUnavailableError(error: unknown): boolean {
  return (
    error instanceof MongoNetworkError ||
    (error instanceof Error && SOCKET_ERROR_CODES.has(String((error as NodeJS.ErrnoException).code))) ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError ||
    // mongoose wraps a selection error at connect time in an error class of its own.
    (error instanceof Error && error.name === 'MongooseServerSelectionError')
  );
}

/**
 * For the error formatter: a database outage becomes SERVICE_UNAVAILABLE with a message that
 * names the service's database and says to retry, without the driver's detail (host names,
 * ports), which is logged instead.
 */
export function databaseOutage(service: string): FailureTranslator {
  return (error) =>
    isDatabaseUnavailableError(error)
      ? appError(ErrorCode.ServiceUnavailable, `the ${service} database is unavailable; retry shortly`)
      : undefined;
}
