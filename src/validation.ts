import type * as z from "zod";

/** Bad input to a step: names the field; the ASL contract is the error name. */
export class InvalidInputError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = "InvalidInputError";
  }
}

/** Parses at the edge; the first issue becomes a message that names the field and says what was expected. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") || "input";
  throw new InvalidInputError(`Invalid input: ${field}: ${issue?.message ?? "invalid"}`, field);
}
