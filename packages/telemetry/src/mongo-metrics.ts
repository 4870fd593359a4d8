import type { ServiceMetrics } from './service-metrics.js';

/** The driver's command-monitoring events, as much of them as is read here. */
interface CommandStarted {
  requestId: number;
  commandName: string;
  command: Record<string, unknown>;
}
interface CommandFinished {
  requestId: number;
  commandName: string;
  duration: number;
}
/** A MongoClient created with `monitorCommands: true` (mongoose: connection.getClient()). */
export interface MonitoredClient {
  on(event: 'commandStarted', listener: (event: CommandStarted) => void): unknown;
  on(event: 'commandSucceeded' | 'commandFailed', listener: (event: CommandFinished) => void): unknown;
}

// Commands whose first field names the collection they act on.
const COLLECTION_COMMANDS = new Set([
  'find',
  'insert',
  'update',
  'delete',
  'findAndModify',
  'aggregate',
  'count',
  'distinct',
  'getMore',
  'createIndexes',
]);
// Handshakes and pings run all the time and say nothing about the data layer.
const IGNORED = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'saslStart', 'saslContinue', 'endSessions', 'buildInfo']);

/**
 * MongoDB command durations by command and collection, from the driver's command monitoring.
 * Collection names come from the service's own models, so the label is bounded; `getMore` names
 * its collection in a field of its own.
 */
export function observeMongoCommands(metrics: ServiceMetrics, client: MonitoredClient): void {
  const duration = metrics.histogram('mongodb_command_duration_seconds', 'Time of MongoDB commands, by command and collection', [
    'command',
    'collection',
    'outcome',
  ]);
  const collections = new Map<number, string>();
  client.on('commandStarted', (event) => {
    if (IGNORED.has(event.commandName)) return;
    const field = event.commandName === 'getMore' ? event.command.collection : event.command[event.commandName];
    collections.set(event.requestId, COLLECTION_COMMANDS.has(event.commandName) && typeof field === 'string' ? field : 'none');
  });
  const finished = (outcome: 'ok' | 'error') => (event: CommandFinished) => {
    const collection = collections.get(event.requestId);
    if (collection === undefined) return;
    collections.delete(event.requestId);
    duration.observe({ command: event.commandName, collection, outcome }, event.duration / 1000);
  };
  client.on('commandSucceeded', finished('ok'));
  client.on('commandFailed', finished('error'));
}
