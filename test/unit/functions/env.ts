/**
 * The configuration serverless.yml gives the functions, set before any handler module loads (src/config.ts reads it
 * once). The CloudHSM CLI path points nowhere: a handler that reached the CLI would fail loudly, not validate.
 */
Object.assign(process.env, {
  AWS_REGION: "us-east-1",
  ACCOUNT_ID: "111122223333",
  ORPHAN_TABLE_NAME: "keystore-autopilot-dev-orphans",
  FOLLOW_UP_STATE_MACHINE_ARN:
    "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-deletionFollowUp",
  CONNECT_STATE_MACHINE_ARN:
    "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-connectKeyStore",
  CLEANUP_STATE_MACHINE_ARN: "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-orphanCleanup",
  CLOUDHSM_CLI_PATH: "/nonexistent/cloudhsm-cli",
  POWERTOOLS_LOG_LEVEL: "SILENT",
  POWERTOOLS_METRICS_NAMESPACE: "keystore-autopilot",
  POWERTOOLS_TRACE_ENABLED: "false",
});
delete process.env.LOCAL_ACCOUNT_ENDPOINT;
delete process.env.AWS_ENDPOINT_URL;
