import type { AccountContext } from "../account";
import type { CallRecord } from "../protocol";
import { camel, invalidRequest } from "./records";

/** What every CloudHSM operation gets: the account (store, clock, bus, HSM tokens). */
export type Deps = { ctx: AccountContext };

/** A call's request parameters as CloudHSM logs them: in camelCase (records.ts camel). */
export const camelRequest = {
  request: (request: Record<string, unknown>) => camel(request) as Record<string, unknown>,
};

/** The rest of a CloudHSM call's record: response elements in camelCase, and the resources it was about. */
export function responded(
  responseElements: Record<string, unknown> | null,
  resources: string[] = [],
): Partial<CallRecord> {
  return {
    responseElements: responseElements && (camel(responseElements) as Record<string, unknown>),
    resources,
  };
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
