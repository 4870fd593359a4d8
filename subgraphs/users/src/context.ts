import type DataLoader from 'dataloader';
import { type Logger } from '@supergraph/runtime';
import { type AccessTokenIssuer, type AccessTokenVerifier, type AuthState, type RevocationList } from '@supergraph/auth';
import { WORKER_SERVICE } from '@supergraph/contracts';
import { createByIdLoader, type CallerInfo } from '@supergraph/subgraph-kit';
import type { CredentialLimits } from './credential-limits.js';
import type { OtpServices } from './otp.js';
import type { PhoneOwners } from './phone-owners.js';
import { PUBLIC_USER_FIELDS, type UserDoc, type UserModel } from './model.js';
import type { Sessions } from './sessions.js';

export interface UsersContext {
  auth: AuthState;
  /** The client's address, for per-address budgets; undefined when unknown. */
  clientIp: string | undefined;
  /** True for the job worker's own calls (its credential, not the gateway's): the internal fields are for it only. */
  fromWorker: boolean;
  credentialLimits: CredentialLimits;
  users: UserModel;
  tokens: AccessTokenVerifier;
  issuer: AccessTokenIssuer;
  sessions: Sessions;
  revocations: RevocationList;
  logger: Logger;
  otp: OtpServices;
  phoneOwners: PhoneOwners;
  loaders: { userById: DataLoader<string, UserDoc> };
}

export interface UsersServices {
  credentialLimits: CredentialLimits;
  users: UserModel;
  tokens: AccessTokenVerifier;
  issuer: AccessTokenIssuer;
  sessions: Sessions;
  revocations: RevocationList;
  logger: Logger;
  otp: OtpServices;
  /** Which account proved each phone number. */
  phoneOwners: PhoneOwners;
}

/** Builds the per-request context: the caller's identity and fresh DataLoaders. */
export async function createContext(
  services: UsersServices,
  authorization: string | undefined,
  caller: CallerInfo = { ip: undefined, service: 'gateway' },
): Promise<UsersContext> {
  return {
    ...services,
    clientIp: caller.ip,
    fromWorker: caller.service === WORKER_SERVICE,
    auth: await services.tokens.authenticate(authorization),
    loaders: { userById: createByIdLoader<UserDoc>(services.users, PUBLIC_USER_FIELDS, 'User') },
  };
}
