// Who is calling: bearer tokens, their issuing and checking, and the guards resolvers use. See ../README.md.
export * from './bearer.js';
export * from './tokens.js';
export * from './viewer.js';
