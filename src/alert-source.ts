/**
 * Our own events, for operators to subscribe to (EventBridge rule on this source). Apart from the alerts adapter so
 * that functions that only read alerts load no EventBridge client.
 */
export const ALERT_SOURCE = "keystore-autopilot";
export const ALERT_DETAIL_TYPE = "Keystore Autopilot Alert";
/** A provisioning waiting for its cluster CSR to be signed (`keystore-autopilot sign`). */
export const SIGNATURE_REQUEST_DETAIL_TYPE = "Cluster CSR Awaiting Signature";
/**
 * A key store's connection state or error code differs from the one last observed. KMS emits no event of its own
 * when a custom key store's connection state changes, nor a CloudWatch metric for CloudHSM key stores (KMS Developer
 * Guide, kms-events and monitoring-cloudwatch list only key events and metrics of keys and external key stores).
 */
export const KEY_STORE_STATE_CHANGE_DETAIL_TYPE = "Key Store State Change";
