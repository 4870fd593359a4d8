import { Schema, type Connection, type Model, type Types } from 'mongoose';

export interface UserDoc {
  _id: Types.ObjectId;
  name: string;
  /** Missing for an account made by a phone login code. */
  email?: string;
  phone?: string | null;
  /**
   * When a login code sent to `phone` was last entered: only then is the number known to be the
   * account holder's. A number given at sign-up is only a claim, and phone login never trusts it.
   */
  phoneVerifiedAt?: Date | null;
  city?: string | null;
  role: 'CUSTOMER' | 'ADMIN';
  /** Missing for an account made by a phone login code (it has no password). */
  passwordHash?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Fields a client may see; the password hash never leaves the database layer. */
export const PUBLIC_USER_FIELDS = { name: 1, email: 1, phone: 1, city: 1, role: 1, createdAt: 1 } as const;

const userSchema = new Schema<UserDoc>(
  {
    name: { type: String, required: true, trim: true },
    email: { type: String, lowercase: true, trim: true },
    phone: { type: String, default: null },
    phoneVerifiedAt: { type: Date, default: null },
    city: { type: String, default: null },
    role: { type: String, enum: ['CUSTOMER', 'ADMIN'], required: true, default: 'CUSTOMER' },
    passwordHash: { type: String },
  },
  { collection: 'users', timestamps: true },
);
// Sparse: accounts made by a phone login code have no email, and several may exist. (The local
// database ignores `sparse`, and a missing field does not collide there either.)
userSchema.index({ email: 1 }, { unique: true, sparse: true });
// Phone login finds the account that proved it holds a number (sign-ups may claim one without proof).
userSchema.index({ phone: 1, _id: 1 });

/** The name an account made by a phone login code has until its owner sets one with updateMe. */
export const PLACEHOLDER_NAME = 'BharatMart customer';

export type UserModel = Model<UserDoc>;

export function registerUserModel(connection: Connection): UserModel {
  return connection.model<UserDoc>('User', userSchema);
}
