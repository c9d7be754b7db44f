import { AwsServiceError } from "./errors";

/** Requests per second per account and Region (DOMAIN.md §7); operations not listed are not limited locally. */
export const KMS_RATES: Record<string, number> = {
  ConnectCustomKeyStore: 5,
  CreateCustomKeyStore: 5,
  DeleteCustomKeyStore: 5,
  DescribeCustomKeyStores: 5,
  DisconnectCustomKeyStore: 5,
  UpdateCustomKeyStore: 5,
  CreateKey: 5,
  ScheduleKeyDeletion: 15,
  CancelKeyDeletion: 5,
  DescribeKey: 2000,
  ListKeys: 500,
  EnableKey: 5,
  DisableKey: 5,
};

/** Shared per custom key store across the cryptographic operations (not adjustable for CloudHSM key stores). */
export const CUSTOM_KEY_STORE_CRYPTO_RATE = 1800;

/**
 * Token buckets in real time: quotas are about real request rates, whatever the simulated clock says. A clock advance
 * refills them: for every caller that waited (a Wait state, a retry's backoff) that much time has passed, so a retry
 * after a simulated backoff meets the quota as it would in AWS, not the budget spent by the retries before it.
 */
export class Quotas {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly enabled = true) {}

  /** The simulated clock jumped ahead: every bucket is full again. */
  refill(): void {
    this.buckets.clear();
  }

  take(bucket: string, ratePerSecond: number | undefined): void {
    if (!this.enabled || ratePerSecond === undefined) return;
    const now = performance.now();
    const b = this.buckets.get(bucket) ?? { tokens: ratePerSecond, at: now };
    b.tokens = Math.min(ratePerSecond, b.tokens + ((now - b.at) / 1000) * ratePerSecond);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(bucket, b);
      throw new AwsServiceError("ThrottlingException", "Rate exceeded");
    }
    b.tokens -= 1;
    this.buckets.set(bucket, b);
  }
}
