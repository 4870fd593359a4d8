import { type Logger } from '@supergraph/runtime';
import { isDuplicateKeyError } from '@supergraph/subgraph-kit';
import type { UserModel } from './model.js';
import { hashPassword } from './password.js';

/**
 * Makes sure the configured admin account exists and can log in with the
 * configured password. Runs on every start; does nothing without credentials.
 */
export async function ensureAdmin(users: UserModel, email: string, password: string, logger: Logger): Promise<void> {
  const normalised = email.trim().toLowerCase();
  const passwordHash = await hashPassword(password);
  const existing = await users.findOne({ email: normalised }, { _id: 1 }).lean();
  if (existing) {
    await users.updateOne({ _id: existing._id }, { $set: { role: 'ADMIN', passwordHash } });
    logger.info('admin account checked', { userId: String(existing._id) });
    return;
  }
  try {
    const created = await users.create({ name: 'Admin', email: normalised, role: 'ADMIN', passwordHash });
    logger.info('admin account created', { userId: String(created._id) });
  } catch (error) {
    // Another instance starting at the same moment created it first.
    if (!isDuplicateKeyError(error)) throw error;
    await users.updateOne({ email: normalised }, { $set: { role: 'ADMIN', passwordHash } });
  }
}
