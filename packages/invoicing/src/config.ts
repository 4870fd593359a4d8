import { readPrivateKey, type PrivateKeyJwk } from '@supergraph/auth';
import { ConfigError, readNodeEnv, readUrl, readWholeNumber, type Env } from '@supergraph/runtime';
import { gstinProblem } from './gstin.js';
import type { SellerDetails } from './render.js';
import { stateNamed, stateWithCode } from './states.js';

/** What the worker needs to issue invoices, read once at start-up. */
export interface InvoicingConfig {
  seller: SellerDetails;
  /** The orders subgraph (ORDERS_URL): numbers, invoice state and stored PDFs. */
  ordersUrl: string;
  /** The users subgraph (USERS_URL): the buyer's name and city. */
  usersUrl: string;
  /** The worker's own signing key (WORKER_SERVICE_SIGNING_KEY) for its calls to orders and users. */
  signingKey: PrivateKeyJwk;
  /** How long one call to a subgraph may take (INVOICE_CALL_TIMEOUT_MS). */
  callTimeoutMs: number;
}

/** A seller for local development and tests only; production must name its own. */
const DEVELOPMENT_SELLER = {
  SELLER_NAME: 'BharatMart Retail Private Limited',
  SELLER_ADDRESS: '4th Floor, Lotus Park; 12 MG Road; Pune 411001',
  SELLER_GSTIN: '27AABCB1234F1Z8',
  SELLER_STATE: 'Maharashtra',
};

/**
 * The seller: SELLER_NAME, SELLER_ADDRESS (lines separated by ";"), SELLER_GSTIN (format and check
 * character verified, and its state code must be SELLER_STATE's) and SELLER_STATE (a state's name,
 * which decides CGST + SGST or IGST). Required in production; development and tests get a sample.
 */
export function readSellerDetails(env: Env): SellerDetails {
  const production = readNodeEnv(env) === 'production';
  const read = (name: keyof typeof DEVELOPMENT_SELLER) => {
    const value = env[name]?.trim();
    if (value) return value;
    if (production) throw new ConfigError(`${name} is required in production: invoices must name the seller`);
    return DEVELOPMENT_SELLER[name];
  };
  const name = read('SELLER_NAME');
  const address = read('SELLER_ADDRESS')
    .split(';')
    .map((line) => line.trim())
    .filter(Boolean);
  const stateName = read('SELLER_STATE');
  const state = stateNamed(stateName);
  if (!state) throw new ConfigError(`SELLER_STATE must name an Indian state or union territory, e.g. Maharashtra (got "${stateName}")`);
  const gstin = read('SELLER_GSTIN').toUpperCase();
  const problem = gstinProblem(gstin);
  if (problem) throw new ConfigError(`SELLER_GSTIN ${problem}`);
  if (gstin.slice(0, 2) !== state.code) {
    const named = stateWithCode(gstin.slice(0, 2))?.name ?? 'no state';
    throw new ConfigError(
      `SELLER_GSTIN is registered in ${named} (code ${gstin.slice(0, 2)}), not SELLER_STATE ${state.name} (${state.code})`,
    );
  }
  return { name, address, gstin, state };
}

export function loadInvoicingConfig(env: Env = process.env): InvoicingConfig {
  const production = readNodeEnv(env) === 'production';
  const http = ['http:', 'https:'];
  return {
    seller: readSellerDetails(env),
    ordersUrl: readUrl(env, 'ORDERS_URL', production ? undefined : 'http://localhost:4003/graphql', http),
    usersUrl: readUrl(env, 'USERS_URL', production ? undefined : 'http://localhost:4001/graphql', http),
    signingKey: readPrivateKey(env, 'WORKER_SERVICE_SIGNING_KEY'),
    callTimeoutMs: readWholeNumber(env, 'INVOICE_CALL_TIMEOUT_MS', 10_000, 100, 120_000),
  };
}
