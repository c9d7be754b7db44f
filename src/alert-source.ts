/**
 * Our own events, for operators to subscribe to (EventBridge rule on this source). Apart from src/alerts.ts so that
 * functions that only read alerts load no EventBridge client.
 */
export const ALERT_SOURCE = "keystore-autopilot";
export const ALERT_DETAIL_TYPE = "Keystore Autopilot Alert";
