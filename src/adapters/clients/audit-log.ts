import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { config } from "../../config";
import { traced } from "../../observability";
import { CloudWatchAuditLog } from "../audit-log";
import { HTTP_TIMEOUTS } from "./http";

/** One CloudWatch Logs client per container; endpoint from AWS_ENDPOINT_URL when set (the local account). */
export const logs = traced(new CloudWatchLogsClient({ region: config.AWS_REGION, requestHandler: HTTP_TIMEOUTS }));

/** The clusters' HSM audit logs (log groups /aws/cloudhsm/<cluster ID>). */
export const auditLog = new CloudWatchAuditLog(logs);
