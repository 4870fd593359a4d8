import { setTimeout as sleep } from 'node:timers/promises';
import { Response } from 'undici';
import { describe, expect, it } from 'vitest';
import { InFlightRequests } from './in-flight.js';

/** A stand-in for the subgraph: counts what it is sent and answers after a moment. */
function subgraph(body = '{"data":{"product":{"name":"Diya"}}}', status = 200) {
  const calls: string[] = [];
  return {
    calls,
    send: (key: string) => async () => {
      calls.push(key);
      await sleep(20);
      return new Response(body, { status, headers: { 'content-type': 'application/json', 'x-from': 'subgraph' } });
    },
  };
}

describe('InFlightRequests', () => {
  it('sends identical requests in flight at once only once, and gives each caller a whole answer of its own', async () => {
    const inFlight = new InFlightRequests();
    const upstream = subgraph();
    const answers = await Promise.all(Array.from({ length: 5 }, () => inFlight.share('k', upstream.send('k'))));
    expect(upstream.calls).toEqual(['k']);
    expect(new Set(answers).size).toBe(5);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-from')).toBe('subgraph');
      expect(await answer.json()).toEqual({ data: { product: { name: 'Diya' } } });
    }
    expect(inFlight.stats()).toEqual({ sent: 1, shared: 4 });
  });

  it('sends requests with different keys separately', async () => {
    const inFlight = new InFlightRequests();
    const upstream = subgraph();
    await Promise.all([inFlight.share('alice', upstream.send('alice')), inFlight.share('bob', upstream.send('bob'))]);
    expect(upstream.calls.sort()).toEqual(['alice', 'bob']);
  });

  it('sends again once the first answer is in: only requests in flight share', async () => {
    const inFlight = new InFlightRequests();
    const upstream = subgraph();
    await inFlight.share('k', upstream.send('k'));
    await inFlight.share('k', upstream.send('k'));
    expect(upstream.calls).toEqual(['k', 'k']);
    expect(inFlight.stats()).toEqual({ sent: 2, shared: 0 });
  });

  it('hands a failure to every caller sharing the request, and lets the next one try again', async () => {
    const inFlight = new InFlightRequests();
    let attempts = 0;
    const failing = async () => {
      attempts++;
      await sleep(10);
      throw new Error('catalog is unavailable');
    };
    const results = await Promise.allSettled([inFlight.share('k', failing), inFlight.share('k', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(attempts).toBe(1);
    const upstream = subgraph();
    expect((await inFlight.share('k', upstream.send('k'))).status).toBe(200);
  });

  it('passes an error status on to every sharer as it came', async () => {
    const inFlight = new InFlightRequests();
    const upstream = subgraph('{"errors":[{"message":"no"}]}', 400);
    const [a, b] = await Promise.all([inFlight.share('k', upstream.send('k')), inFlight.share('k', upstream.send('k'))]);
    expect([a.status, b.status]).toEqual([400, 400]);
    expect(await b.text()).toBe('{"errors":[{"message":"no"}]}');
  });
});
