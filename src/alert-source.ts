/**
 * Our own events, for operators to subscribe to (EventBridge rule on this source). Apart from the alerts adapter so
 * that functions that only read alerts load no EventBridge client.
 */
export const ALERT_SOURCE = "keystore-autopilot";
export const ALERT_DETAIL_TYPE = "Keystore Autopilot Alert";
/** A provisioning waiting for its cluster CSR to be signed (`keystore-autopilot sign`). */
export const SIGNATURE_REQUEST_DETAIL_TYPE = "Cluster CSR Awaiting Signature";
