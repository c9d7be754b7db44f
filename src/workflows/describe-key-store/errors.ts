/** Base of describe-key-store's own errors: the name is the contract with the ASL's Catch, `cause` is kept. */
export class DescribeKeyStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DescribeKeyStoreError";
  }
}

/** DescribeCustomKeyStores answered without an entry for the id asked (KMS names a missing store by its own error). */
export class KeyStoreEntryMissingError extends DescribeKeyStoreError {
  constructor(readonly customKeyStoreId: string) {
    super(`KMS returned no entry for ${customKeyStoreId}`);
    this.name = "KeyStoreEntryMissingError";
  }
}
