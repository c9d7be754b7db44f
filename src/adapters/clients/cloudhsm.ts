import { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import { config } from "../../config";
import { traced } from "../../observability";
import { HTTP_TIMEOUTS } from "./http";

type HandlerClass = new (options: typeof HTTP_TIMEOUTS) => NonNullable<CloudHSMV2Client["config"]["requestHandler"]>;

/**
 * client-cloudhsm-v2 3.332 (the newest on the registry) predates the SDK reading AWS_ENDPOINT_URL itself, and taking
 * the request handler's options in place of a handler: it gets an instance of the handler class it is built with.
 */
const Handler = new CloudHSMV2Client({ region: config.AWS_REGION }).config.requestHandler.constructor as HandlerClass;

const clientFor = (region: string) =>
  traced(
    new CloudHSMV2Client({
      region,
      requestHandler: new Handler(HTTP_TIMEOUTS),
      ...(config.AWS_ENDPOINT_URL ? { endpoint: config.AWS_ENDPOINT_URL } : {}),
    }),
  );

export const cloudhsm = clientFor(config.AWS_REGION);

const regional = new Map<string, CloudHSMV2Client>([[config.AWS_REGION, cloudhsm]]);

/** The client for a Region, made once per instance on first use (copies of backups live in other Regions). */
export function cloudhsmIn(region: string): CloudHSMV2Client {
  let client = regional.get(region);
  if (!client) {
    client = clientFor(region);
    regional.set(region, client);
  }
  return client;
}
