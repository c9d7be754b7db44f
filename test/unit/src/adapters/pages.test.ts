import { pages } from "../../../../src/adapters/pages";

/** A listing of `count` pages whose tokens are their successors' numbers; records the tokens it was asked with. */
function listing(count: number) {
  const asked: (string | undefined)[] = [];
  const fetch = async (token: string | undefined) => {
    asked.push(token);
    const n = token ? Number(token) : 0;
    return { n, next: n + 1 < count ? String(n + 1) : undefined };
  };
  return { asked, fetch };
}

const all = async <P>(it: AsyncIterable<P>) => {
  const out: P[] = [];
  for await (const p of it) out.push(p);
  return out;
};

describe("pages", () => {
  it("returns every page in order, asking each with the token the previous one ended with", async () => {
    const { asked, fetch } = listing(3);

    expect((await all(pages(fetch, (p) => p.next))).map((p) => p.n)).toEqual([0, 1, 2]);
    expect(asked).toEqual([undefined, "1", "2"]);
  });

  it("stops after maxPages even when the service keeps answering a token", async () => {
    const { asked, fetch } = listing(1_000);

    expect(await all(pages(fetch, (p) => p.next, 5))).toHaveLength(5);
    expect(asked).toHaveLength(5);
  });

  it("asks for no further page once the caller stops reading", async () => {
    const { asked, fetch } = listing(10);
    for await (const page of pages(fetch, (p) => p.next)) if (page.n === 1) break;

    expect(asked).toEqual([undefined, "1"]);
  });
});
