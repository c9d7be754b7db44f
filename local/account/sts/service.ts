import type { AccountContext } from "../account";

/**
 * sts:GetCallerIdentity, the one STS call the CLI makes (to record who approves or signs). STS speaks the AWS Query
 * protocol: a form-encoded POST with Action and Version, answered in XML. The response shape is the example of the
 * AWS STS API Reference, "GetCallerIdentity". The local account checks no credentials, so every caller is one
 * operator user.
 */
export function registerSts(ctx: AccountContext): void {
  const arn = `arn:aws:iam::${ctx.config.accountId}:user/local-operator`;
  ctx.front.query("sts", (params) => {
    if (params.get("Action") !== "GetCallerIdentity") {
      return { status: 400, xml: errorXml("InvalidAction", `Could not find operation ${params.get("Action")}`) };
    }
    return {
      status: 200,
      xml: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>${arn}</Arn>
    <UserId>AIDALOCALOPERATOR0000</UserId>
    <Account>${ctx.config.accountId}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>${crypto.randomUUID()}</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>`,
    };
  });
}

function errorXml(code: string, message: string): string {
  const escaped = message.replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c] ?? c);
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>${code}</Code><Message>${escaped}</Message></Error>
  <RequestId>${crypto.randomUUID()}</RequestId>
</ErrorResponse>`;
}
