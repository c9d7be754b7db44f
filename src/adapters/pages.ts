/**
 * Every page of a paginated AWS listing, in order: `fetch` gets the token the previous page ended with (undefined for
 * the first), `next` reads it from a page; iteration stops after the page without one, or after `maxPages`. A caller
 * that finds what it looks for may stop early.
 */
export async function* pages<P>(
  fetch: (token: string | undefined) => Promise<P>,
  next: (page: P) => string | undefined,
  maxPages = Number.POSITIVE_INFINITY,
): AsyncGenerator<P> {
  let token: string | undefined;
  for (let count = 0; count < maxPages; count++) {
    const page = await fetch(token);
    yield page;
    token = next(page);
    if (!token) return;
  }
}
