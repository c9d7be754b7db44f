import { z } from "zod";
import type { AccountContext } from "../account";
import { AwsServiceError } from "../errors";
import { operation, type Service } from "../protocol";

/** Store kind and id of the account's one trail. */
const TRAIL = "cloudtrail-trail";
const TRAIL_NAME = "management-events";

type TrailRecord = { logging: boolean; managementEvents: boolean };

const TrailNameInput = z.object({ Name: z.string().min(1) });
const TrailNameSelectorInput = z.object({ TrailName: z.string().min(1) });
const DescribeTrailsInput = z.object({
  trailNameList: z.array(z.string()).optional(),
  includeShadowTrails: z.boolean().optional(),
});
const TrailControl = z.object({ logging: z.boolean().optional(), managementEvents: z.boolean().optional() }).strict();

/**
 * CloudTrail (JSON 1.1, X-Amz-Target `CloudTrail_20131101.<Operation>` or with the prefix
 * `com.amazonaws.cloudtrail.v20131101.`): the account's one trail, a
 * multi-Region trail logging all management events, as the README's prerequisites ask for. DescribeTrails,
 * GetTrailStatus and GetEventSelectors answer with the fields of the AWS CloudTrail API Reference pages of those names
 * (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html, API_GetTrailStatus.html,
 * API_GetEventSelectors.html); the trail's shape follows the DescribeTrails example of the AWS SDK Code Examples
 * (test/events/aws/cloudtrail-describe-trails.json). `POST /_local/cloudtrail/trail` turns its logging or its
 * management events off and on. It reports state only: the local bus delivers events whatever the trail says.
 */
export function createCloudTrailService(ctx: AccountContext): Service {
  const { accountId, region } = ctx.config;
  const arn = `arn:aws:cloudtrail:${region}:${accountId}:trail/${TRAIL_NAME}`;
  const load = (): TrailRecord =>
    ctx.store.get<TrailRecord>(TRAIL, TRAIL_NAME) ?? { logging: true, managementEvents: true };
  // A trail is named by its name or its ARN (API_GetTrailStatus: "Name").
  const requireTrail = (name: string) => {
    if (name !== TRAIL_NAME && name !== arn) {
      throw new AwsServiceError("TrailNotFoundException", `Unknown trail: ${name} for the user: ${accountId}`);
    }
  };

  ctx.front.route("POST", "/_local/cloudtrail/trail", (body) => {
    const parsed = TrailControl.safeParse(body);
    if (!parsed.success) throw new Error('Body must be {"logging"?: boolean, "managementEvents"?: boolean}');
    const next = { ...load(), ...parsed.data };
    ctx.store.put(TRAIL, TRAIL_NAME, next);
    return { name: TRAIL_NAME, ...next };
  });

  return {
    target: "CloudTrail_20131101",
    name: "cloudtrail",
    jsonVersion: "1.1",
    internalError: { code: "InternalFailure", status: 500 },
    operations: {
      DescribeTrails: operation(DescribeTrailsInput, ({ trailNameList }) => {
        const wanted =
          !trailNameList || trailNameList.length === 0 || trailNameList.some((n) => n === TRAIL_NAME || n === arn);
        return {
          trailList: wanted
            ? [
                {
                  IncludeGlobalServiceEvents: true,
                  Name: TRAIL_NAME,
                  TrailARN: arn,
                  LogFileValidationEnabled: true,
                  IsMultiRegionTrail: true,
                  S3BucketName: `aws-cloudtrail-logs-${accountId}`,
                  HomeRegion: region,
                  HasCustomEventSelectors: false,
                  HasInsightSelectors: false,
                  IsOrganizationTrail: false,
                },
              ]
            : [],
        };
      }),
      GetTrailStatus: operation(TrailNameInput, ({ Name }) => {
        requireTrail(Name);
        const now = ctx.clock.now() / 1000;
        return {
          IsLogging: load().logging,
          ...(load().logging ? { StartLoggingTime: now } : { StopLoggingTime: now }),
        };
      }),
      GetEventSelectors: operation(TrailNameSelectorInput, ({ TrailName }) => {
        requireTrail(TrailName);
        // A trail made without selectors logs all read and write management events and no data events
        // (API_EventSelector: "By default, trails created without specific event selectors ...").
        return {
          TrailARN: arn,
          EventSelectors: [
            {
              ReadWriteType: "All",
              IncludeManagementEvents: load().managementEvents,
              DataResources: [],
              ExcludeManagementEventSources: [],
            },
          ],
        };
      }),
    },
  };
}
