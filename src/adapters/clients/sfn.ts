import { SFNClient } from "@aws-sdk/client-sfn";
import { config } from "../../config";
import { traced } from "../../observability";

export const sfn = traced(new SFNClient({ region: config.AWS_REGION }));
