import { describe, expect, it } from 'vitest';
import { stateNamed, stateOfPlace } from './states.js';

describe('place of supply from a customer city', () => {
  it('knows major cities, state names and "City, State"', () => {
    expect(stateOfPlace('Mumbai')).toMatchObject({ name: 'Maharashtra', code: '27' });
    expect(stateOfPlace('  bengaluru ')).toMatchObject({ name: 'Karnataka', code: '29' });
    expect(stateOfPlace('Tamil Nadu')?.code).toBe('33');
    expect(stateOfPlace('Kothrud, Pune, Maharashtra')?.code).toBe('27');
    expect(stateOfPlace('Some Village, Kerala')?.name).toBe('Kerala');
    expect(stateOfPlace('New Delhi')?.name).toBe('Delhi');
  });

  it('answers nothing for an unknown or missing place', () => {
    expect(stateOfPlace('Atlantis')).toBeUndefined();
    expect(stateOfPlace(null)).toBeUndefined();
    expect(stateOfPlace('')).toBeUndefined();
  });

  it('marks union territories without a legislature as UTGST', () => {
    expect(stateOfPlace('Chandigarh')?.utgst).toBe(true);
    expect(stateNamed('Ladakh')?.utgst).toBe(true);
    expect(stateNamed('Delhi')?.utgst).toBe(false);
    expect(stateNamed('Orissa')?.name).toBe('Odisha');
  });
});
