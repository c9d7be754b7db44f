/**
 * Connection and request timeouts of every SDK client. The SDK's default is to wait for ever, so a call to an
 * endpoint the VPC cannot reach would run until the Lambda timeout and fail without saying which service was blocked.
 * With the SDK's default 3 attempts a blocked call fails within 3 × (2 + 6) = 24 s, inside the shortest function
 * timeout (30 s, serverless.yml provider.timeout), with an error naming the call (AWS SDK for JavaScript v3 Developer
 * Guide, "Configuring properties per client": connectionTimeout, requestTimeout). @smithy/node-http-handler only
 * logs a warning when requestTimeout passes unless throwOnRequestTimeout is set (its NodeHttpHandlerOptions).
 *
 * Passed as options, which each client turns into its own NodeHttpHandler: importing the handler would bundle
 * @smithy/core into every function (about 100 KiB zipped), while the SDK itself comes from the Lambda runtime.
 */
export const HTTP_TIMEOUTS = {
  connectionTimeout: 2_000,
  requestTimeout: 6_000,
  throwOnRequestTimeout: true,
} as const;
