import { z } from "zod";
import type { AccountContext } from "../account";
import { AwsServiceError } from "../errors";
import { operation, type Service } from "../protocol";

const DASHBOARD = "dashboard";

type DashboardRecord = { name: string; body: string; lastModified: number };

/** "The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and "_"" (API_PutDashboard.html). */
const DashboardName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_-]+$/);

const PutDashboardInput = z.object({ DashboardName, DashboardBody: z.string().min(1) });
const GetDashboardInput = z.object({ DashboardName });

/**
 * CloudWatch's dashboards (AWS JSON 1.0, X-Amz-Target `GraniteServiceVersion20100801.<Operation>`, as
 * @aws-sdk/client-cloudwatch sends them): PutDashboard replaces a dashboard's whole body ("If you update a dashboard,
 * the entire contents are replaced with what you specify here", API_PutDashboard.html), GetDashboard reads it back.
 * Dashboards are global, not per Region, so their ARN has no Region. A body that is not a JSON object with a
 * `widgets` array is refused as `InvalidParameterInput` ("Some part of the dashboard data is invalid", HTTP 400,
 * API_PutDashboard.html), an unknown dashboard as `ResourceNotFound` ("The specified dashboard does not exist", HTTP
 * 404, API_GetDashboard.html). Metrics themselves are not modelled: the functions' EMF lines are
 * in their logs.
 */
export function createCloudWatchService(ctx: AccountContext): Service {
  const arn = (name: string) => `arn:aws:cloudwatch::${ctx.config.accountId}:dashboard/${name}`;
  return {
    target: "GraniteServiceVersion20100801",
    name: "cloudwatch",
    jsonVersion: "1.0",
    internalError: { code: "InternalServiceFault", status: 500 },
    operations: {
      PutDashboard: operation(
        PutDashboardInput,
        (request) => {
          let body: unknown;
          try {
            body = JSON.parse(request.DashboardBody);
          } catch {
            throw invalidBody("The dashboard body is not valid JSON");
          }
          const widgets = (body as { widgets?: unknown } | null)?.widgets;
          if (typeof body !== "object" || body === null || !Array.isArray(widgets)) {
            throw invalidBody("The dashboard body must be an object with a widgets array");
          }
          ctx.store.put<DashboardRecord>(DASHBOARD, request.DashboardName, {
            name: request.DashboardName,
            body: request.DashboardBody,
            lastModified: ctx.clock.now(),
          });
          return { DashboardValidationMessages: [] };
        },
        { trail: { request: (r) => ({ dashboardName: r.DashboardName }) } },
      ),
      GetDashboard: operation(GetDashboardInput, (request) => {
        const found = ctx.store.get<DashboardRecord>(DASHBOARD, request.DashboardName);
        if (!found) throw new AwsServiceError("ResourceNotFound", "Dashboard does not exist", 404);
        return { DashboardArn: arn(found.name), DashboardBody: found.body, DashboardName: found.name };
      }),
    },
  };
}

const invalidBody = (message: string) => new AwsServiceError("InvalidParameterInput", message, 400);
