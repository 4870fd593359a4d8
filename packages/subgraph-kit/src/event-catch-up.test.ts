import { afterEach, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@supergraph/runtime';
import { channels, createEventBus, createMemoryOutbox, createMemoryTransport, type EventBus, type EventTransport } from './index.js';

// A subscriber's catch-up after a Redis blip reads its channel's outbox from 30 s before the outage
// (CATCH_UP_MARGIN_MS), in pages of `catchUpLimit` (1,000). On a busy channel (order.placed is one
// channel for all orders) the margin alone fills a page with events the subscriber already had;
// the blip's own events are on a later page and must still be read. (Found by an attack review.)

const logger = createLogger('test', 'silent');
const open: EventBus[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((bus) => bus.dispose()));
});

/** A memory transport whose subscribers can go deaf (their connection dropped) and come back. */
function deafeningTransport() {
  const inner = createMemoryTransport();
  const resumed: ((downSince: Date) => void)[] = [];
  const state = { deaf: false };
  const transport: EventTransport = {
    ...inner,
    send: async (name, message) => {
      if (!state.deaf) await inner.send(name, message);
    },
    onResumed: (listener) => resumed.push(listener),
  };
  return { transport, state, resume: (downSince: Date) => ((state.deaf = false), resumed.forEach((l) => l(downSince))) };
}

it('a subscriber catching up after a short blip on a busy channel gets the events of the blip', async () => {
  const flaky = deafeningTransport();
  const bus = createEventBus({
    prefix: 'unit-review',
    logger,
    transport: flaky.transport,
    outbox: createMemoryOutbox(),
    outboxOptions: { pollMs: 200, retentionMs: 60_000 },
  });
  open.push(bus);
  const channel = channels.orderPlaced();
  const subscription = bus.subscribe<{ _id: string }>(channel);
  // A busy minute: 1,000 orders placed (about 35 a second for 30 s), all delivered live.
  for (let i = 0; i < 1_000; i++) await bus.publish(channel, { _id: `before-${i}`, version: 1 });
  for (let i = 0; i < 1_000; i++) await subscription.next();
  // A one-second blip of the subscriber's Redis connection; five orders are placed meanwhile.
  const downSince = new Date();
  flaky.state.deaf = true;
  for (let i = 0; i < 5; i++) await bus.publish(channel, { _id: `during-${i}`, version: 1 });
  await sleep(100);
  flaky.resume(downSince);

  const got: string[] = [];
  for (let i = 0; i < 5; i++) {
    const next = await Promise.race([subscription.next(), sleep(1_000).then(() => null)]);
    if (!next || next.done) break;
    got.push(next.value._id);
  }
  expect(got).toEqual(['during-0', 'during-1', 'during-2', 'during-3', 'during-4']);
});
