#!/usr/bin/env bash
# Packages the service offline with the open-source osls CLI: no login, no AWS credentials.
set -euo pipefail
cd "$(dirname "$0")/.."
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
rm -rf .serverless
npx osls package --stage "${STAGE:-dev}" --region "${REGION:-us-east-1}"
test -f .serverless/cloudformation-template-update-stack.json
# Least privilege, alarms, log retention, tracing and bundle sizes of what was just packaged (issue 8).
npx tsx scripts/check-package.ts .serverless
echo "osls package: ok ($(ls .serverless | wc -l) artifacts in .serverless/)"
