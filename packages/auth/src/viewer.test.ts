import { thrownGraphQLError } from '@supergraph/runtime/testing';
import { describe, expect, it } from 'vitest';
import { requireAdmin, requireSelfOrAdmin, requireViewer, type AuthState } from './index.js';

function codeOf(fn: () => unknown): { code: unknown; message: string } {
  const error = thrownGraphQLError(fn);
  return { code: error.extensions.code, message: error.message };
}

describe('requireViewer / requireAdmin / requireSelfOrAdmin', () => {
  const customer: AuthState = { viewer: { id: 'c1', role: 'CUSTOMER' }, tokenProblem: null };
  const admin: AuthState = { viewer: { id: 'a1', role: 'ADMIN' }, tokenProblem: null };
  const anonymous: AuthState = { viewer: null, tokenProblem: null };
  const expired: AuthState = { viewer: null, tokenProblem: 'the token has expired; log in again' };

  it('requireViewer returns the viewer or throws UNAUTHENTICATED', () => {
    expect(requireViewer(customer)).toEqual({ id: 'c1', role: 'CUSTOMER' });
    expect(codeOf(() => requireViewer(anonymous)).code).toBe('UNAUTHENTICATED');
  });

  it('requireViewer explains what was wrong with the token', () => {
    const { code, message } = codeOf(() => requireViewer(expired));
    expect(code).toBe('UNAUTHENTICATED');
    expect(message).toContain('the token has expired');
  });

  it('requireAdmin: admins pass, customers are FORBIDDEN, anonymous callers UNAUTHENTICATED', () => {
    expect(requireAdmin(admin).id).toBe('a1');
    expect(codeOf(() => requireAdmin(customer)).code).toBe('FORBIDDEN');
    expect(codeOf(() => requireAdmin(anonymous)).code).toBe('UNAUTHENTICATED');
    expect(codeOf(() => requireAdmin(expired)).code).toBe('UNAUTHENTICATED');
  });

  it('requireSelfOrAdmin: the owner and admins pass, other customers are FORBIDDEN', () => {
    expect(requireSelfOrAdmin(customer, 'c1', 'orders').id).toBe('c1');
    expect(requireSelfOrAdmin(admin, 'c1', 'orders').id).toBe('a1');
    const { code, message } = codeOf(() => requireSelfOrAdmin(customer, 'c2', 'orders'));
    expect(code).toBe('FORBIDDEN');
    expect(message).toContain('orders');
    expect(codeOf(() => requireSelfOrAdmin(anonymous, 'c1', 'orders')).code).toBe('UNAUTHENTICATED');
  });
});
