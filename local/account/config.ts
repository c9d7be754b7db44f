import { resolve } from "node:path";
import { z } from "zod";

/** Settings of one local account; every field has a documented default (README, "Local account"). */
export const LocalAccountConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(4599),
  host: z.string().default("127.0.0.1"),
  dataDir: z.string().default(".local-account"),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "region must look like us-east-1")
    .default("us-east-1"),
  accountId: z
    .string()
    .regex(/^\d{12}$/, "account id must be 12 digits")
    .default("111122223333"),
  softhsmLibrary: z.string().default("/usr/lib/softhsm/libsofthsm2.so"),
  /** AWS's request quotas as ThrottlingException; `off` only for benchmarks that measure the account's own capacity. */
  quotas: z.enum(["on", "off"]).default("on"),
});
export type LocalAccountConfig = z.infer<typeof LocalAccountConfigSchema>;

/** Reads LOCAL_ACCOUNT_* from the environment once and fails fast on a bad value. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): LocalAccountConfig {
  const parsed = LocalAccountConfigSchema.safeParse({
    port: env.LOCAL_ACCOUNT_PORT,
    host: env.LOCAL_ACCOUNT_HOST,
    dataDir: env.LOCAL_ACCOUNT_DATA,
    region: env.LOCAL_ACCOUNT_REGION,
    accountId: env.LOCAL_ACCOUNT_ID,
    softhsmLibrary: env.SOFTHSM2_LIBRARY,
    quotas: env.LOCAL_ACCOUNT_QUOTAS,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const names: Record<string, string> = {
      port: "LOCAL_ACCOUNT_PORT",
      host: "LOCAL_ACCOUNT_HOST",
      dataDir: "LOCAL_ACCOUNT_DATA",
      region: "LOCAL_ACCOUNT_REGION",
      accountId: "LOCAL_ACCOUNT_ID",
      softhsmLibrary: "SOFTHSM2_LIBRARY",
      quotas: "LOCAL_ACCOUNT_QUOTAS",
    };
    const field = String(issue?.path[0] ?? "");
    throw new Error(`Invalid ${names[field] ?? field}: ${issue?.message}`);
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}
