// What only subgraphs need: start-up, database, loaders, paging, ids, scalars, events,
// their subscription server and the service-to-service client. See ../README.md.
export * from './config.js';
export * from './event-stream.js';
export * from './event-transport.js';
export * from './events.js';
export * from './ids.js';
export * from './loaders.js';
export * from './mongo.js';
export * from './outbox.js';
export * from './outbox-relay.js';
export * from './pagination.js';
export * from './periodic.js';
export * from './scalars.js';
export * from './service-client.js';
export * from './start-subgraph.js';
export * from './subgraph-apollo.js';
export * from './subscription-server.js';
export * from './versioning.js';
