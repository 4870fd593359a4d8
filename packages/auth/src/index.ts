// Who is calling: bearer tokens, service credentials, their keys, and the guards resolvers use. See ../README.md.
export * from './bearer.js';
export * from './keys.js';
export * from './revocation-check.js';
export * from './revocations.js';
export * from './service-credentials.js';
export * from './tokens.js';
export * from './viewer.js';
