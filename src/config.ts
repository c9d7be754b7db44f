import { z } from "zod";

/**
 * The product's configuration, read and validated once. Endpoints are not configured here: the AWS SDK reads
 * AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) itself, which is how the same code talks to the local account.
 */
const ConfigSchema = z.object({
  AWS_REGION: z.string().min(1, "AWS_REGION must be set"),
  POWERTOOLS_SERVICE_NAME: z.string().default("keystore-autopilot"),
});

export type Config = z.infer<typeof ConfigSchema>;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid configuration: ${String(issue?.path[0])}: ${issue?.message}`);
  }
  return parsed.data;
}
