import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { loginLedger } from "../src/adapters/clients/login-ledger";
import { secretsStore } from "../src/adapters/clients/secrets";
import { hsm } from "../src/adapters/hsm";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { LogoutStepSchema } from "../src/workflows/connect-key-store/step-inputs";
import { logoutKmsuser } from "../src/workflows/connect-key-store/steps";

/** USER_LOGGED_IN: logs kmsuser out with a password this product set. */
export const connectLogoutKmsuser = (event: unknown) =>
  logoutKmsuser({ secrets: secretsStore, hsm, logins: loginLedger }, parseOrThrow(LogoutStepSchema, event));

export const handler = middy(connectLogoutKmsuser).use(injectLambdaContext(logger));
