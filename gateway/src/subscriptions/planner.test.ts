import { readFileSync } from 'node:fs';
import { it, vi } from 'vitest';
vi.mock('graphql', async () => {
  const { createRequire } = await import('node:module');
  return createRequire(import.meta.url)('graphql');
});
import { parse } from 'graphql';
import { SubscriptionPlanner } from './planner.js';

it('explore', async () => {
  const sdl = readFileSync(new URL('../../../schema/supergraph.graphql', import.meta.url), 'utf8');
  const p = new SubscriptionPlanner(sdl);
  const planned = p.plan(parse(`subscription($id: ID!) { orderStatusChanged(id: $id) { id status user { name } items { quantity product { name } } } }`), undefined);
  if (Array.isArray(planned)) { console.log(planned); return; }
  const calls: any[] = [];
  const ds = (name: string, fn: (req: any) => any) => ({ process: async ({ request }: any) => { calls.push([name, request]); return fn(request); } });
  const res = await p.executeEvent(planned, { data: { orderStatusChanged: { __typename: 'Order', id: 'o1', status: 'SHIPPED', user: { __typename: 'User', id: 'u1' }, items: [{ quantity: 2, product: { __typename: 'Product', id: 'p1' } }, { quantity: 1, product: { __typename: 'Product', id: 'p2' } }, { quantity: 1, product: { __typename: 'Product', id: 'p1' } }] } }, errors: [{ message: 'partial', path: ['orderStatusChanged', 'status'], extensions: { code: 'XX' } }] as any }, { id: 'o1' }, {}, {
    users: ds('users', (r) => { throw Object.assign(new Error('users down'), { extensions: { code: 'FOO' } }); }),
    catalog: ds('catalog', (r) => ({ data: { _entities: r.variables.representations.map((x: any) => ({ name: 'Product ' + x.id })) } })),
  } as any);
  console.log(JSON.stringify(res, null, 2));
  console.log(JSON.stringify(calls));
});
