import type { AccountContext } from "../account";
import { camel, invalidRequest } from "./records";

/** What every CloudHSM operation gets: the account (store, clock, bus, HSM tokens). */
export type Deps = { ctx: AccountContext };

/** Records a CloudHSM call as CloudTrail does: parameters and response elements in camelCase (records.ts camel). */
export function trail(
  ctx: AccountContext,
  eventName: string,
  requestParameters: Record<string, unknown>,
  responseElements: Record<string, unknown> | null,
  resources: string[] = [],
) {
  ctx.bus.cloudTrail({
    service: "cloudhsm",
    eventName,
    requestParameters: camel(requestParameters) as Record<string, unknown>,
    responseElements: responseElements && (camel(responseElements) as Record<string, unknown>),
    resources,
  });
}

/** Describe* filters: an unknown key is an invalid request, as CloudHSM answers it. */
export function checkFilters(
  filters: Record<string, string[]> | undefined,
  allowed: string[],
): Record<string, string[]> {
  for (const key of Object.keys(filters ?? {})) {
    if (!allowed.includes(key)) {
      throw invalidRequest(`Filter key ${key} is not valid; use ${allowed.join(", ")}`);
    }
  }
  return filters ?? {};
}

export const matches = (values: string[] | undefined, value: string) => values === undefined || values.includes(value);
