import { SFNClient } from "@aws-sdk/client-sfn";
import { config } from "../../config";
import { traced } from "../../observability";
import { HTTP_TIMEOUTS } from "./http";

export const sfn = traced(new SFNClient({ region: config.AWS_REGION, requestHandler: HTTP_TIMEOUTS }));
