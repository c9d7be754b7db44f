/** Handlers for the runtime benchmark: as small as a handler gets, so the figures measure the runtime. */
export const noop = async (event: unknown) => ({ received: event !== undefined });
