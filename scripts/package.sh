#!/usr/bin/env bash
# Packages the service offline with the open-source osls CLI (no login, no AWS credentials) as the README's deploy
# command would deploy it, for several stages and Regions, and checks each package. Generated names grow with the
# stage and Region, so a long pair is among them. STAGE and REGION package that one pair only.
set -euo pipefail
cd "$(dirname "$0")/.."
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off

# The README's deploy params ("Deploy to AWS"), as JSON arrays there and as comma-separated lists here.
readme_params=(
  --param='cloudhsmCliLayers=["arn:aws:lambda:eu-west-1:111122223333:layer:cloudhsm-cli:3"]'
  --param='cliVpcId=vpc-0123456789abcdef0'
  --param='clusterSecurityGroupId=sg-0123456789abcdef0'
  --param='cliSubnetIds=["subnet-0123456789abcdef0","subnet-0fedcba9876543210"]'
)
comma_params=(
  --param='cloudhsmCliLayers=arn:aws:lambda:eu-central-1:111122223333:layer:cloudhsm-cli:3'
  --param='cliVpcId=vpc-0123456789abcdef0'
  --param='clusterSecurityGroupId=sg-0123456789abcdef0'
  --param='cliHttpsEgressCidr=10.0.0.0/16'
  --param='cliSubnetIds=subnet-0123456789abcdef0,subnet-0fedcba9876543210'
)

# package <stage> <region> <dir> <params...>: osls package, then the deploy checks, then cfn-lint where installed.
package() {
  local stage=$1 region=$2 dir=$3
  shift 3
  rm -rf "$dir"
  npx osls package --stage "$stage" --region "$region" --package "$dir" "$@" >"$dir.log" 2>&1 ||
    { cat "$dir.log"; exit 1; }
  rm -f "$dir.log"
  test -f "$dir/cloudformation-template-update-stack.json"
  npx tsx scripts/check-package.ts "$dir" "$region"
  if command -v cfn-lint >/dev/null; then
    # Exit status is a bit mask: 2 errors (fail), 4 warnings, 8 informational (counted, not failing).
    local rc=0 out
    out=$(cfn-lint --format parseable --regions "$region" -- "$dir/cloudformation-template-update-stack.json") || rc=$?
    if ((rc & 3)); then
      echo "$out"
      echo "cfn-lint: errors in the $stage/$region template"
      exit 1
    fi
    echo "cfn-lint $stage/$region: 0 errors, $(grep -c ':[WI][0-9]*:' <<<"$out" || true) warnings or notes"
  else
    echo "cfn-lint not installed: template lint skipped ($stage/$region)"
  fi
  echo "osls package $stage/$region: ok ($(ls "$dir" | wc -l) artifacts in $dir)"
}

if [[ -n "${STAGE:-}" || -n "${REGION:-}" ]]; then
  package "${STAGE:-dev}" "${REGION:-us-east-1}" .serverless "${readme_params[@]}"
  exit 0
fi
other=$(mktemp -d)
trap 'rm -rf "$other"' EXIT
package production eu-central-1 "$other/production-eu-central-1" "${comma_params[@]}"
package prod ap-southeast-2 "$other/prod-ap-southeast-2" "${readme_params[@]}"
# Last, into .serverless/, where the bundle benchmark reads the zips.
package dev us-east-1 .serverless "${readme_params[@]}"
