/** asl-validator ships no types; this is the part the runtime uses. */
declare module "asl-validator" {
  type Result = { isValid: boolean; errors: unknown[]; errorsText: (separator?: string) => string };
  export default function validator(
    definition: unknown,
    options?: { checkArn?: boolean; checkPaths?: boolean },
  ): Result;
}
