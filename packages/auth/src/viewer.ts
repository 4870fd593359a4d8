import { appError, ErrorCode, forbidden, unauthenticated } from '@supergraph/runtime';

export type Role = 'CUSTOMER' | 'ADMIN';

export interface Viewer {
  id: string;
  role: Role;
}

/** Who is calling, as far as the bearer token tells. A bad token is remembered, not thrown, until a field needs a viewer. */
export interface AuthState {
  viewer: Viewer | null;
  tokenProblem: string | null;
  /** About the verified token itself: which session it belongs to and when it was issued and expires (ms). */
  token?: { sessionId: string | null; issuedAt: number; expiresAt: number };
}

export function requireViewer(auth: AuthState): Viewer {
  if (auth.viewer) return auth.viewer;
  if (auth.tokenProblem) throw appError(ErrorCode.Unauthenticated, `Not authenticated: ${auth.tokenProblem}`);
  throw unauthenticated();
}

export function requireAdmin(auth: AuthState): Viewer {
  const viewer = requireViewer(auth);
  if (viewer.role !== 'ADMIN') throw forbidden('This operation is for admins only');
  return viewer;
}

/** The viewer must be the owner of the resource, or an admin. */
export function requireSelfOrAdmin(auth: AuthState, ownerId: string, what: string): Viewer {
  const viewer = requireViewer(auth);
  if (viewer.role !== 'ADMIN' && viewer.id !== ownerId) throw forbidden(`You may only read your own ${what}`);
  return viewer;
}
