import mongoose, { type Connection } from 'mongoose';
import type { Logger } from '@supergraph/runtime';

export interface MongoOptions {
  /** Emit driver command events (used by tests that count round trips). */
  monitorCommands?: boolean;
}

/**
 * Opens one connection pool for the process. Each service owns its own
 * connection (not mongoose's global one), so several services can share a
 * process in tests without sharing models.
 */
export async function connectMongo(uri: string, logger: Logger, options: MongoOptions = {}): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: 10_000,
    maxPoolSize: 20,
    monitorCommands: options.monitorCommands ?? false,
  });
  connection.on('disconnected', () => logger.warn('mongodb disconnected'));
  connection.on('reconnected', () => logger.info('mongodb reconnected'));
  await connection.asPromise();
  return connection;
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
