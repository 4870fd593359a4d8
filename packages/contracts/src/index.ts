// What one subgraph promises another. See ../README.md.
export * from './stock.js';
export * from './invoices.js';
