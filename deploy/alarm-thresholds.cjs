// Alarm thresholds serverless.yml derives from params, which its variables cannot compute:
// `${file(deploy/alarm-thresholds.cjs):hsmSessionAlarmThreshold}`. Serverless Framework docs, "Variables" (Reference
// Variables in JavaScript Files: an exported function receives `resolveVariable`).
"use strict";

/** Open connections per HSM at which HsmSessionsAlarm fires: hsmSessionAlarmPercent of hsmSessionLimit, floored. */
function sessionThreshold(limit, percent) {
  const l = Number(limit);
  const p = Number(percent);
  if (!Number.isInteger(l) || l < 1)
    throw new Error(`param hsmSessionLimit: ${JSON.stringify(limit)} is not a whole number above 0`);
  if (!(p > 0 && p <= 100))
    throw new Error(`param hsmSessionAlarmPercent: ${JSON.stringify(percent)} is not in (0, 100]`);
  return Math.max(1, Math.floor((l * p) / 100));
}

module.exports = {
  sessionThreshold,
  hsmSessionAlarmThreshold: async ({ resolveVariable }) =>
    sessionThreshold(
      await resolveVariable("param:hsmSessionLimit"),
      await resolveVariable("param:hsmSessionAlarmPercent"),
    ),
};
