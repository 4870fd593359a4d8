import { Schema, Types, type Connection, type Model } from 'mongoose';
import { isDuplicateKeyError } from '@supergraph/subgraph-kit';
import type { UserModel } from './model.js';

/**
 * Which account proved it holds a phone number (by a login code): one per number. A record of its
 * own, keyed by the number, because "unique phone among proved accounts" needs a partial unique
 * index, which the local database lacks; an `_id` is unique everywhere, so two accounts proving
 * one number at the same moment cannot both win.
 */
interface PhoneOwnerDoc {
  /** The number in E.164. */
  _id: string;
  userId: Types.ObjectId;
  provedAt: Date;
}

const phoneOwnerSchema = new Schema<PhoneOwnerDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    provedAt: { type: Date, required: true },
  },
  { collection: 'phone_owners', versionKey: false },
);

export type PhoneOwnerModel = Model<PhoneOwnerDoc>;

export function registerPhoneOwnerModel(connection: Connection): PhoneOwnerModel {
  return connection.model<PhoneOwnerDoc>('PhoneOwner', phoneOwnerSchema);
}

export interface PhoneOwners {
  /** The account that proved `phone`, or null when none has. */
  ownerOf(phone: string): Promise<Types.ObjectId | null>;
  /**
   * The number's owner: the account that proved it first, or else `userId`, recorded now. Two
   * accounts claiming at once are both told the one that won.
   */
  claim(phone: string, userId: Types.ObjectId): Promise<Types.ObjectId>;
}

export function createPhoneOwners(owners: PhoneOwnerModel, users: UserModel): PhoneOwners {
  const record = async (phone: string, userId: Types.ObjectId): Promise<Types.ObjectId> => {
    try {
      await owners.create({ _id: phone, userId, provedAt: new Date() });
      return userId;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const owner = await owners.findById(phone, { userId: 1 }).lean();
      if (!owner) throw error; // a record that collided and is gone: nothing deletes them, so this is a fault
      return owner.userId;
    }
  };
  const ownerOf = async (phone: string): Promise<Types.ObjectId | null> => {
    const owner = await owners.findById(phone, { userId: 1 }).lean();
    if (owner) return owner.userId;
    // Proved before owners were recorded: the oldest account with the proof becomes the owner.
    const proved = await users
      .findOne({ phone, phoneVerifiedAt: { $ne: null } }, { _id: 1 })
      .sort({ _id: 1 })
      .lean();
    return proved ? record(phone, proved._id) : null;
  };
  return {
    ownerOf,
    claim: async (phone, userId) => (await ownerOf(phone)) ?? record(phone, userId),
  };
}
