/** An error that the local account returns on the wire exactly as AWS would: exception name, message, HTTP status. */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export const validation = (message: string) => new AwsServiceError("ValidationException", message);
