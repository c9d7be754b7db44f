import { SeqSet } from "../../../../local/runtime/seq-set";

describe("SeqSet", () => {
  it("returns the lowest member when members arrive and leave in any order", () => {
    const set = new SeqSet();
    for (const seq of [5, 3, 9, 1, 7]) set.add(seq);
    expect(set.min()).toBe(1);

    set.delete(1);
    set.delete(7);
    expect(set.min()).toBe(3);
    expect(set.has(7)).toBe(false);
    expect(set.size).toBe(3);

    set.delete(3);
    set.delete(5);
    set.delete(9);
    expect(set.min()).toBeUndefined();
  });

  it("returns no member up to n when deleted up to n", () => {
    const set = new SeqSet();
    for (const seq of [10, 2, 8, 4, 6, 4]) set.add(seq);

    set.deleteUpTo(6);

    expect([2, 4, 6, 8, 10].filter((seq) => set.has(seq))).toEqual([8, 10]);
    expect(set.min()).toBe(8);
    expect(set.size).toBe(2);
  });

  it("returns the same minimum as a plain scan when thousands are added and removed at random", () => {
    const set = new SeqSet();
    const plain = new Set<number>();
    let next = 1;
    for (let step = 0; step < 20_000; step++) {
      if (plain.size === 0 || Math.random() < 0.55) {
        const seq = next + Math.floor(Math.random() * 5);
        next = seq + 1;
        set.add(seq);
        plain.add(seq);
      } else {
        const members = [...plain];
        const seq = members[Math.floor(Math.random() * members.length)] as number;
        set.delete(seq);
        plain.delete(seq);
      }
      if (step % 97 === 0) {
        expect(set.min()).toBe(plain.size === 0 ? undefined : Math.min(...plain));
        expect(set.size).toBe(plain.size);
      }
    }
  });
});
