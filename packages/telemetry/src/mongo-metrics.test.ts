import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { observeMongoCommands } from './mongo-metrics.js';
import { ServiceMetrics } from './service-metrics.js';

// prom-client fills in each sample's metric name (histograms' _bucket/_sum/_count) but its types leave it out.
const metricNameOf = (sample: object): string | undefined => (sample as { metricName?: string }).metricName;

describe('observeMongoCommands', () => {
  it('times commands by name and collection, and leaves handshakes and pings out', async () => {
    const metrics = new ServiceMetrics('unit');
    // The driver's command-monitoring events, as a MongoClient with monitorCommands emits them.
    const client = new EventEmitter();
    observeMongoCommands(metrics, client);
    client.emit('commandStarted', { requestId: 1, commandName: 'find', command: { find: 'products', filter: {} } });
    client.emit('commandSucceeded', { requestId: 1, commandName: 'find', duration: 12 });
    client.emit('commandStarted', { requestId: 2, commandName: 'getMore', command: { getMore: 7, collection: 'orders' } });
    client.emit('commandFailed', { requestId: 2, commandName: 'getMore', duration: 3 });
    client.emit('commandStarted', { requestId: 3, commandName: 'ping', command: { ping: 1 } });
    client.emit('commandSucceeded', { requestId: 3, commandName: 'ping', duration: 1 });
    client.emit('commandStarted', { requestId: 4, commandName: 'listCollections', command: { listCollections: 1 } });
    client.emit('commandSucceeded', { requestId: 4, commandName: 'listCollections', duration: 2 });

    const values = (await metrics.registry.getSingleMetric('mongodb_command_duration_seconds')!.get()).values;
    const counts = values
      .filter((v) => metricNameOf(v) === 'mongodb_command_duration_seconds_count')
      .map((v) => [v.labels.command, v.labels.collection, v.labels.outcome, v.value]);
    expect(counts).toEqual(
      expect.arrayContaining([
        ['find', 'products', 'ok', 1],
        ['getMore', 'orders', 'error', 1],
        ['listCollections', 'none', 'ok', 1],
      ]),
    );
    expect(counts.some(([command]) => command === 'ping')).toBe(false);
    const findSum = values.find((v) => metricNameOf(v) === 'mongodb_command_duration_seconds_sum' && v.labels.command === 'find');
    expect(findSum?.value).toBeCloseTo(0.012);
  });
});
