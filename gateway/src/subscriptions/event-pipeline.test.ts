import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { createErrorFormatter, createLogger } from '@supergraph/runtime';
import { createClientErrorFormatting } from './client-errors.js';
import { createEventPipeline, type UpstreamSource } from './event-pipeline.js';
import { SubscriptionPlanner } from './planner.js';
import { createOperationPreparer, type SubscriptionContext } from './prepare.js';
import type { Sink } from './shared-feeds.js';
import type { UpstreamRequest } from './upstream-hub.js';

const planner = new SubscriptionPlanner(readFileSync(new URL('../../../schema/supergraph.graphql', import.meta.url), 'utf8'));
const prepare = createOperationPreparer({
  planner: () => planner,
  errors: createClientErrorFormatting(createErrorFormatter(createLogger('test', 'silent'))),
});

/** An upstream that records what is asked of it and lets the test emit events. */
function fakeUpstream() {
  const streams: { request: UpstreamRequest; sink: Sink<ExecutionResult>; left: boolean }[] = [];
  const upstream: UpstreamSource = {
    subscribe(request, sink) {
      const stream = { request, sink, left: false };
      streams.push(stream);
      return () => {
        stream.left = true;
      };
    },
  };
  return { upstream, streams };
}

function setup(maxBufferedEvents?: number) {
  const { upstream, streams } = fakeUpstream();
  const pipeline = createEventPipeline({
    upstream,
    planner: () => planner,
    serviceMap: () => ({}),
    subgraphUrl: (name) => `http://${name}.test/graphql`,
    logger: createLogger('test', 'silent'),
    maxBufferedEvents,
  });
  return { pipeline, streams };
}

function argsFor(
  query: string,
  variables: Record<string, unknown>,
  authorization?: string,
  extra: Partial<SubscriptionContext> = {},
): ExecutionArgs {
  const prepared = prepare({ query, variables }, authorization);
  if (Array.isArray(prepared)) throw new Error(prepared[0].message);
  return { ...prepared, contextValue: { ...(prepared.contextValue as SubscriptionContext), ...extra } };
}

const PRODUCT = 'subscription($id: ID!) { productUpdated(id: $id) { stock } }';
const productEvent = (stock: number): ExecutionResult => ({ data: { productUpdated: { stock } } });
const next = async (iterator: AsyncIterableIterator<ExecutionResult>) => (await iterator.next()).value as ExecutionResult;

describe('event pipeline', () => {
  it('shares one upstream stream and one execution between identical operations, delivering events in order', async () => {
    const { pipeline, streams } = setup();
    const a = pipeline.subscribe(argsFor(PRODUCT, { id: 'p1' }, 'Bearer x'));
    const b = pipeline.subscribe(argsFor(PRODUCT, { id: 'p1' }, 'Bearer x'));
    expect(streams).toHaveLength(1);
    expect(streams[0].request).toMatchObject({ serviceName: 'catalog', url: 'http://catalog.test/graphql', variables: { id: 'p1' } });
    expect(pipeline.stats()).toMatchObject({ subscriptions: 2, executions: 1 });
    streams[0].sink.next(productEvent(5));
    streams[0].sink.next(productEvent(4));
    for (const client of [a, b]) {
      expect(await next(client)).toEqual({ data: { productUpdated: { stock: 5 } } });
      expect(await next(client)).toEqual({ data: { productUpdated: { stock: 4 } } });
    }
    await a.return?.();
    expect(streams[0].left).toBe(false);
    await b.return?.();
    expect(streams[0].left).toBe(true);
    expect(pipeline.stats()).toMatchObject({ subscriptions: 0, executions: 0 });
  });

  it('sends no token upstream for a public field, and the token for any other', () => {
    const { pipeline, streams } = setup();
    pipeline.subscribe(argsFor(PRODUCT, { id: 'p1' }, 'Bearer secret'));
    pipeline.subscribe(argsFor('subscription { orderPlaced { id } }', {}, 'Bearer admin'));
    expect(streams.map((s) => s.request.authorization)).toEqual([undefined, 'Bearer admin']);
  });

  it('passes a refusal from the subgraph on with its code, and ends the stream', async () => {
    const { pipeline, streams } = setup();
    const client = pipeline.subscribe(argsFor('subscription { orderPlaced { id } }', {}, 'Bearer customer'));
    streams[0].sink.error([{ message: 'This operation is for admins only', extensions: { code: 'FORBIDDEN' } }]);
    const result = await next(client);
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect((await client.next()).done).toBe(true);
  });

  it('reports an upstream that ended for good as SUBGRAPH_UNAVAILABLE, naming the subgraph', async () => {
    const { pipeline, streams } = setup();
    const client = pipeline.subscribe(argsFor(PRODUCT, { id: 'p1' }));
    streams[0].sink.error({ code: 4400, reason: 'bad protocol' });
    const result = await next(client);
    expect(result.errors?.[0].extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
    expect(result.errors?.[0].message).toMatch(/catalog/);
    expect((await client.next()).done).toBe(true);
  });

  it('cuts off a client that falls too far behind with SLOW_CONSUMER and lets go of the upstream', async () => {
    const { pipeline, streams } = setup(2);
    const client = pipeline.subscribe(argsFor(PRODUCT, { id: 'p1' }));
    for (let stock = 10; stock > 6; stock--) streams[0].sink.next(productEvent(stock));
    await vi.waitFor(() => expect(streams[0].left).toBe(true));
    await expect(client.next()).rejects.toMatchObject({ extensions: { code: 'SLOW_CONSUMER' } });
  });

  it('lets go of the upstream when the transport signals that the client left', async () => {
    const { pipeline, streams } = setup();
    const left = new AbortController();
    const client = pipeline.subscribe(argsFor(PRODUCT, { id: 'p1' }, undefined, { signal: left.signal }));
    const pending = client.next();
    left.abort();
    expect((await pending).done).toBe(true);
    expect(streams[0].left).toBe(true);
  });
});
