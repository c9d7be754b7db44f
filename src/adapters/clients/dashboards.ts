import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { config } from "../../config";
import { traced } from "../../observability";
import { CloudWatchDashboards } from "../dashboards";
import { HTTP_TIMEOUTS } from "./http";

/** One CloudWatch client per container; endpoint from AWS_ENDPOINT_URL when set (the local account). */
const cloudwatch = traced(new CloudWatchClient({ region: config.AWS_REGION, requestHandler: HTTP_TIMEOUTS }));

export const dashboards = new CloudWatchDashboards(cloudwatch);
