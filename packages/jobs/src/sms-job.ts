/** One text message to send. The job's id is the idempotency key the SMS provider receives. */
export interface SmsJob {
  /** E.164, e.g. +919876543210. */
  to: string;
  message: string;
}

/** The job name, which also says why the message goes out (dashboards and metrics show it). */
export type SmsPurpose = 'otp' | 'order-status';
