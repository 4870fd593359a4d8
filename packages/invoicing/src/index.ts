// GST invoices and credit notes, for the worker. See ../README.md.
export * from './client.js';
export * from './config.js';
export * from './gst.js';
export * from './gstin.js';
export * from './issue.js';
export * from './render.js';
export * from './states.js';
export * from './words.js';
