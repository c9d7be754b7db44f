import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { loginLedger } from "../src/adapters/clients/login-ledger";
import { secretsStore } from "../src/adapters/clients/secrets";
import { hsm } from "../src/adapters/hsm";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { SetPasswordStepSchema } from "../src/workflows/connect-key-store/step-inputs";
import { setKmsuserPassword } from "../src/workflows/connect-key-store/steps";

/** Sets the pending password on kmsuser as admin, creating kmsuser when missing. */
export const connectSetPassword = (event: unknown) =>
  setKmsuserPassword({ secrets: secretsStore, hsm, logins: loginLedger }, parseOrThrow(SetPasswordStepSchema, event));

export const handler = middy(connectSetPassword).use(injectLambdaContext(logger));
