import { Types } from 'mongoose';
import { appError, conflict, ErrorCode } from '@supergraph/runtime';
import { requireAdmin, requireSelfOrAdmin, requireViewer } from '@supergraph/auth';
import { DateTimeScalar, isDuplicateKeyError, loadOrNull, parseObjectId, parsePageArgs, toConnection } from '@supergraph/subgraph-kit';
import type { UsersContext } from './context.js';
import type { Resolvers } from './generated/resolvers-types.js';
import { PLACEHOLDER_NAME, PUBLIC_USER_FIELDS, type UserDoc } from './model.js';
import { requestOtp, verifyOtp } from './otp.js';
import type { Rotated } from './sessions.js';
import { decoyPasswordHash, hashPassword, needsRehash, verifyPassword } from './password.js';
import { normaliseEmail, validateCity, validateName, validateSignUp } from './validation.js';

/** A new session's (or a refreshed session's) tokens for `user`. */
async function authPayload<TUser extends Pick<UserDoc, '_id' | 'role'>>(ctx: UsersContext, user: TUser, session?: Rotated) {
  const viewer = { id: String(user._id), role: user.role };
  const { sessionId, refreshToken } = session ?? (await ctx.sessions.start(user._id));
  const access = await ctx.issuer.issue(viewer, sessionId);
  // From here on this request speaks for the user who just signed up, logged in or refreshed.
  ctx.auth = { viewer, tokenProblem: null, token: { sessionId, issuedAt: Date.now(), expiresAt: access.expiresAt.getTime() } };
  return { token: access.token, expiresAt: access.expiresAt, refreshToken, user };
}

/** Contact details are personal data: only the user themselves and admins see them, however the user was reached. */
const contactField =
  <T>(field: 'email' | 'phone', read: (user: UserDoc) => T) =>
  (user: UserDoc, _args: unknown, ctx: UsersContext): T => {
    requireSelfOrAdmin(ctx.auth, String(user._id), field);
    return read(user);
  };

/**
 * The account's password, asked again before a change that outlives the session (a token can be
 * stolen; the password it was opened with is not in it). Spends the account's log-in failure budget
 * like logIn, so it cannot be used to guess the password either.
 */
async function confirmPassword(
  ctx: UsersContext,
  /** What the account's log-in failures count under: its email, as logIn counts them. */
  failureKey: string,
  passwordHash: string,
  password: string | null | undefined,
): Promise<void> {
  if (!password)
    throw appError(ErrorCode.BadUserInput, 'password: give the account password to confirm this change', { field: 'password' });
  await ctx.credentialLimits.loginFailuresPerAccount.consume(failureKey, 'Too many failed log-ins for this account');
  if (!(await verifyPassword(password, passwordHash))) {
    throw appError(ErrorCode.Unauthenticated, 'password: the password is incorrect', { field: 'password' });
  }
  await ctx.credentialLimits.loginFailuresPerAccount.reset(failureKey);
}

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,

  Query: {
    // No token: nobody is logged in (null). A bad token is an error, not a silent null.
    me: (_parent, _args, ctx) => (ctx.auth.viewer || ctx.auth.tokenProblem ? ctx.loaders.userById.load(requireViewer(ctx.auth).id) : null),

    user: (_parent, args, ctx) => {
      const id = parseObjectId(args.id);
      requireSelfOrAdmin(ctx.auth, String(id), 'user profile');
      return loadOrNull(ctx.loaders.userById, String(id));
    },

    invoiceBuyer: async (_parent, args, ctx) => {
      if (!ctx.fromWorker) throw appError(ErrorCode.Forbidden, 'This operation is internal to the supergraph');
      const user = await loadOrNull(ctx.loaders.userById, String(parseObjectId(args.userId, 'userId')));
      return user ? { name: user.name, city: user.city ?? null } : null;
    },

    notificationContact: async (_parent, args, ctx) => {
      if (!ctx.fromWorker) throw appError(ErrorCode.Forbidden, 'This operation is internal to the supergraph');
      const user = await ctx.users.findById(parseObjectId(args.userId, 'userId'), { phone: 1, phoneVerifiedAt: 1 }).lean();
      // Only a number its holder proved with a code: anyone can type a stranger's number in at
      // sign-up, and order messages would then go to that stranger.
      return user ? { phone: user.phoneVerifiedAt ? (user.phone ?? null) : null } : null;
    },

    users: async (_parent, args, ctx) => {
      requireAdmin(ctx.auth);
      const page = parsePageArgs(args);
      const filter = page.afterId ? { _id: { $gt: page.afterId } } : {};
      const [rows, totalCount] = await Promise.all([
        ctx.users
          .find(filter, PUBLIC_USER_FIELDS)
          .sort({ _id: 1 })
          .limit(page.first + 1)
          .lean(),
        ctx.users.countDocuments({}),
      ]);
      for (const row of rows) ctx.loaders.userById.prime(String(row._id), row);
      return toConnection(rows, page.first, totalCount);
    },
  },

  Mutation: {
    signUp: async (_parent, args, ctx) => {
      const input = validateSignUp(args.input);
      if (ctx.clientIp) await ctx.credentialLimits.signUpsPerIp.consume(ctx.clientIp, 'Too many sign-ups from this address');
      try {
        const user = await ctx.users.create({
          name: input.name,
          email: input.email,
          phone: input.phone,
          city: input.city,
          role: 'CUSTOMER',
          passwordHash: await hashPassword(input.password),
        });
        ctx.logger.info('user signed up', { userId: String(user._id) });
        return authPayload(ctx, user);
      } catch (error) {
        if (isDuplicateKeyError(error)) throw conflict('email: an account with this email already exists; log in instead');
        throw error;
      }
    },

    logIn: async (_parent, args, ctx) => {
      const email = normaliseEmail(args.email);
      const limits = ctx.credentialLimits;
      // A point is taken before the password is checked, atomically in Redis, so concurrent guesses
      // cannot all slip past the budget; a success gives the account its budget back. A locked
      // account costs no hash, and the answer is the same whether or not the account exists.
      // The address's budget first: an address that has spent it cannot go on locking accounts.
      if (ctx.clientIp) await limits.loginsPerIp.consume(ctx.clientIp, 'Too many log-in attempts from this address');
      await limits.loginFailuresPerAccount.consume(email, 'Too many failed log-ins for this account');
      const user = await ctx.users.findOne({ email }).lean();
      // Verify against a decoy when the email is unknown, so response time does not reveal registered emails.
      const ok = await verifyPassword(args.password, user?.passwordHash ?? (await decoyPasswordHash()));
      // An account made by a phone login code has no password: no password logs into it.
      if (!user?.passwordHash || !ok) throw appError(ErrorCode.Unauthenticated, 'Email or password is incorrect');
      await limits.loginFailuresPerAccount.reset(email);
      if (needsRehash(user.passwordHash)) {
        // Only while the old hash is still the stored one: a password changed meanwhile is not overwritten.
        await ctx.users.updateOne(
          { _id: user._id, passwordHash: user.passwordHash },
          { $set: { passwordHash: await hashPassword(args.password) } },
        );
        ctx.logger.info('password hash upgraded', { userId: String(user._id) });
      }
      return authPayload(ctx, user);
    },

    requestOtp: (_parent, args, ctx) => requestOtp(ctx.otp, args.phone, ctx.clientIp),

    verifyOtp: async (_parent, args, ctx) => {
      const phone = await verifyOtp(ctx.otp, args.phone, args.code, ctx.clientIp);
      // Only the account that itself proved it holds this number (by an earlier code): a number
      // typed in at sign-up is a claim anyone can make, and trusting it would hand the account of
      // whoever claimed it first to the number's real holder, or the holder's logins to the claimant.
      // A new number gets a new account, made only once its claim on the number has won.
      const ownerId = await ctx.phoneOwners.claim(phone, new Types.ObjectId());
      const existing = await ctx.users.findById(ownerId, PUBLIC_USER_FIELDS).lean();
      if (existing?.role === 'ADMIN') {
        // A code alone (a SIM swap away) must not open an admin account: admins use their password.
        throw appError(ErrorCode.Forbidden, 'Admin accounts log in with their email and password, not a phone code');
      }
      if (existing) return authPayload(ctx, existing);
      // Also mends a claim whose account a crash kept from being made.
      try {
        const user = await ctx.users.create({ _id: ownerId, name: PLACEHOLDER_NAME, phone, phoneVerifiedAt: new Date(), role: 'CUSTOMER' });
        ctx.logger.info('user signed up with a phone login code', { userId: String(user._id) });
        return authPayload(ctx, user);
      } catch (error) {
        // Another login of the same number made it a moment ago: that account is this one.
        if (!isDuplicateKeyError(error)) throw error;
        const made = await ctx.users.findById(ownerId, PUBLIC_USER_FIELDS).lean();
        if (!made) throw error;
        return authPayload(ctx, made);
      }
    },

    confirmPhone: async (_parent, args, ctx) => {
      const viewer = requireViewer(ctx.auth);
      const userId = parseObjectId(viewer.id);
      const account = await ctx.users.findById(userId, { email: 1, passwordHash: 1, phone: 1, phoneVerifiedAt: 1 }).lean();
      if (!account) throw appError(ErrorCode.NotFound, 'The account of this token no longer exists');
      // A proved number is how the account logs in by code: moving it would hand those logins to
      // whoever holds the new number, so a token alone (perhaps a stolen one) may not.
      if (account.phoneVerifiedAt) {
        throw appError(ErrorCode.Forbidden, "phone: this account's number is already proved and cannot be replaced here", {
          field: 'phone',
        });
      }
      if (account.passwordHash) await confirmPassword(ctx, account.email ?? String(account._id), account.passwordHash, args.password);
      const phone = await verifyOtp(ctx.otp, args.phone, args.code, ctx.clientIp);
      const owner = await ctx.phoneOwners.claim(phone, userId);
      if (!owner.equals(userId))
        throw conflict('phone: another account has already proved this number; log in to that one with a code instead');
      // No projection: the local database refuses one on findAndModify; the hash never reaches a field anyway.
      const updated = await ctx.users
        .findOneAndUpdate({ _id: userId }, { $set: { phone, phoneVerifiedAt: new Date() } }, { new: true })
        .lean();
      if (!updated) throw appError(ErrorCode.NotFound, 'The account of this token no longer exists');
      ctx.loaders.userById.clear(viewer.id);
      ctx.logger.info('phone number confirmed', { userId: viewer.id });
      return updated;
    },

    updateMe: async (_parent, args, ctx) => {
      const viewer = requireViewer(ctx.auth);
      const set: Partial<Pick<UserDoc, 'name' | 'city'>> = {};
      if (args.input.name !== undefined && args.input.name !== null) set.name = validateName(args.input.name);
      if (args.input.city !== undefined) set.city = validateCity(args.input.city);
      if (Object.keys(set).length === 0)
        throw appError(ErrorCode.BadUserInput, 'input: give a name or a city to change', { field: 'input' });
      // No projection: the local database refuses one on findAndModify; the hash never reaches a field anyway.
      const updated = await ctx.users.findOneAndUpdate({ _id: parseObjectId(viewer.id) }, { $set: set }, { new: true }).lean();
      if (!updated) throw appError(ErrorCode.NotFound, 'The account of this token no longer exists');
      ctx.loaders.userById.clear(viewer.id);
      return updated;
    },

    refreshSession: async (_parent, args, ctx) => {
      const limits = ctx.credentialLimits;
      if (ctx.clientIp) await limits.refreshesPerIp.consume(ctx.clientIp, 'Too many session refreshes from this address');
      const rotated = await ctx.sessions.refresh(args.refreshToken, (sessionId) =>
        limits.refreshesPerSession.consume(sessionId, 'Too many refreshes of this session'),
      );
      // The role is read now, so a role changed since the last token is in the next one.
      const user = await ctx.users.findById(rotated.userId, PUBLIC_USER_FIELDS).lean();
      if (!user) {
        await ctx.sessions.endById(rotated.sessionId, rotated.userId);
        throw appError(ErrorCode.Unauthenticated, 'The account of this session no longer exists');
      }
      return authPayload(ctx, user, rotated);
    },

    logOut: async (_parent, args, ctx) => {
      if (args.refreshToken !== undefined && args.refreshToken !== null) return ctx.sessions.endByToken(args.refreshToken);
      const viewer = requireViewer(ctx.auth);
      const sessionId = ctx.auth.token?.sessionId;
      if (!sessionId)
        throw appError(ErrorCode.BadUserInput, 'refreshToken: this access token belongs to no session; pass the refresh token to log out');
      return ctx.sessions.endById(sessionId, viewer.id);
    },

    setUserRole: async (_parent, args, ctx) => {
      requireAdmin(ctx.auth);
      const id = parseObjectId(args.id);
      // No projection: the local database refuses one on findAndModify; the hash never reaches a field anyway.
      const before = await ctx.users.findOneAndUpdate({ _id: id }, { $set: { role: args.role } }).lean();
      if (!before) throw appError(ErrorCode.NotFound, `id: no user with id "${args.id}"`);
      // Tokens naming another role stop working everywhere, and streams opened with them end. Sent
      // even when the role was already this one, so a retry after a failed publish still revokes.
      await ctx.revocations.revoke({ kind: 'role', userId: String(id), role: args.role, at: Date.now() });
      if (before.role !== args.role) ctx.logger.info('user role changed', { userId: String(id), role: args.role });
      ctx.loaders.userById.clear(String(id));
      return { ...before, role: args.role };
    },
  },

  User: {
    __resolveReference: (reference, ctx) => ctx.loaders.userById.load(reference.id),
    id: (user) => String(user._id),
    email: contactField('email', (user) => user.email ?? null),
    phone: contactField('phone', (user) => user.phone ?? null),
    // Loaded documents come from the loader and already carry every public field; a
    // user who signed up in this request is returned from `create` and does too.
  },
};
