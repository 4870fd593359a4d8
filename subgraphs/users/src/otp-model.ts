import { Schema, type Connection, type Model } from 'mongoose';

/** The one live login code of a phone number; a new request replaces it. */
export interface OtpChallengeDoc {
  /** The number in E.164: one challenge per number, found by `_id` alone. */
  _id: string;
  /** Names this challenge in its SMS job and in the code's hash. */
  challengeId: string;
  /** HMAC-SHA256 of the code under a key only this service holds: the code itself is never stored. */
  codeHash: string;
  expiresAt: Date;
  /** No new code for this number before then. */
  resendAt: Date;
  /** Codes tried against this challenge, right or wrong. */
  attempts: number;
  createdAt: Date;
}

const otpSchema = new Schema<OtpChallengeDoc>(
  {
    _id: { type: String, required: true },
    challengeId: { type: String, required: true },
    codeHash: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    resendAt: { type: Date, required: true },
    attempts: { type: Number, required: true, default: 0 },
    createdAt: { type: Date, required: true },
  },
  // Rewritten whole on every request; mongoose's `__v` would mean nothing.
  { collection: 'otp_challenges', versionKey: false },
);

export type OtpChallengeModel = Model<OtpChallengeDoc>;

export function registerOtpModel(connection: Connection): OtpChallengeModel {
  return connection.model<OtpChallengeDoc>('OtpChallenge', otpSchema);
}
