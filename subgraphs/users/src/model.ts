import { Schema, type Connection, type Model, type Types } from 'mongoose';

export interface UserDoc {
  _id: Types.ObjectId;
  name: string;
  email: string;
  phone?: string | null;
  city?: string | null;
  role: 'CUSTOMER' | 'ADMIN';
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Fields a client may see; the password hash never leaves the database layer. */
export const PUBLIC_USER_FIELDS = { name: 1, email: 1, phone: 1, city: 1, role: 1, createdAt: 1 } as const;

const userSchema = new Schema<UserDoc>(
  {
    name: { type: String, required: true, trim: true },
    email: { type: String, required: true, lowercase: true, trim: true },
    phone: { type: String, default: null },
    city: { type: String, default: null },
    role: { type: String, enum: ['CUSTOMER', 'ADMIN'], required: true, default: 'CUSTOMER' },
    passwordHash: { type: String, required: true },
  },
  { collection: 'users', timestamps: true },
);
userSchema.index({ email: 1 }, { unique: true });

export type UserModel = Model<UserDoc>;

export function registerUserModel(connection: Connection): UserModel {
  return connection.model<UserDoc>('User', userSchema);
}
