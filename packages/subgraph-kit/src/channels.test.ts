import { describe, expect, it } from 'vitest';
import { channels } from './events.js';

describe('channels', () => {
  it('reads the entity id back from the channels that name one, and nothing from any other', () => {
    expect(channels.productOf(channels.productUpdated('6b1501a5d225cfee1497db88'))).toBe('6b1501a5d225cfee1497db88');
    expect(channels.orderOfStatusChange(channels.orderStatusChanged('o1'))).toBe('o1');
    expect(channels.productOf(channels.orderStatusChanged('o1'))).toBeNull();
    expect(channels.orderOfStatusChange(channels.orderPlaced())).toBeNull();
    expect(channels.orderOfStatusChange('order.status.')).toBeNull();
  });
});
