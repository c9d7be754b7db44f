/**
 * What the workflows tell operators, on our own event source (alert-source.ts). src/adapters/alerts.ts puts them on
 * the alert bus; an operator subscribes with an EventBridge rule.
 */

export type Alert = {
  /** What happened, e.g. `OrphanedKeyMaterial`, `ConnectFailed`, `FollowUpFailed`. */
  type: string;
  severity: "INFO" | "WARNING" | "CRITICAL";
  message: string;
  customKeyStoreId?: string;
  clusterId?: string;
  keyArn?: string;
  /** References only (ids, ARNs, execution names): never a password, key or certificate private part. */
  details?: Record<string, string | number | boolean>;
};

/**
 * A provisioning waiting for the customer's CA to sign the cluster CSR: the CSR and the execution, never the task
 * token (whoever could read the bus could otherwise answer first with their own CA).
 */
export type SignatureRequest = { keyStoreName: string; clusterId: string; csr: string; executionArn: string };

export interface Alerts {
  /** Publishes one alert; throws AlertNotPublishedError when it was not accepted, so the step can retry. */
  publish(alert: Alert): Promise<void>;
  /** Announces a CSR waiting for a signature; throws AlertNotPublishedError when it was not accepted. */
  requestSignature(request: SignatureRequest): Promise<void>;
}

/** The ASL retries on this name (deletion-follow-up, orphan-cleanup). */
export class AlertNotPublishedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AlertNotPublishedError";
  }
}
