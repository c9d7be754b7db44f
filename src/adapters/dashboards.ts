import { type CloudWatchClient, GetDashboardCommand, PutDashboardCommand } from "@aws-sdk/client-cloudwatch";
import type { Dashboards } from "../ports/dashboards";

/** GetDashboard's answer for an unknown dashboard: DashboardNotFoundError, code ResourceNotFound (API_GetDashboard). */
const isNotFound = (error: unknown) => ["ResourceNotFound", "DashboardNotFoundError"].includes((error as Error)?.name);

/** Dashboards through the CloudWatch API. */
export class CloudWatchDashboards implements Dashboards {
  constructor(private readonly cloudwatch: Pick<CloudWatchClient, "send">) {}

  async body(name: string): Promise<string | undefined> {
    try {
      return (await this.cloudwatch.send(new GetDashboardCommand({ DashboardName: name }))).DashboardBody;
    } catch (error: unknown) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(name: string, body: string): Promise<void> {
    await this.cloudwatch.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: body }));
  }
}
