import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StoredKeyFilter, stateNameHash } from '../../src/state/stored-key-filter.ts';

const part = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 2 ** 31, max: 2 ** 52 }));
const entry = fc.record({ state: fc.constantFrom('counts', 'window-contents', 'person'), namespace: fc.oneof(fc.integer(), fc.string()), part });

describe('StoredKeyFilter', () => {
  it('never answers "certainly absent" for an entry it was given', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 300 }), (entries) => {
        const filter = new StoredKeyFilter();
        for (const { state, namespace, part } of entries) filter.add(stateNameHash(state), namespace, part);
        for (const { state, namespace, part } of entries) expect(filter.mightContain(stateNameHash(state), namespace, part)).toBe(true);
      }),
    );
  });

  it('rules out almost every entry it was not given, across states, namespaces and keys', () => {
    const filter = new StoredKeyFilter();
    const counts = stateNameHash('counts');
    for (let key = 0; key < 200_000; key++) filter.add(counts, 0, key);
    let falsePositives = 0;
    const probes = 200_000;
    for (let key = 0; key < probes / 4; key++) {
      // The same keys in another state, another namespace; other keys; the same numbers as strings.
      if (filter.mightContain(stateNameHash('other'), 0, key)) falsePositives++;
      if (filter.mightContain(counts, 10_000, key)) falsePositives++;
      if (filter.mightContain(counts, 0, 200_000 + key)) falsePositives++;
      if (filter.mightContain(counts, 0, String(key))) falsePositives++;
    }
    // 3 probes into 2^25 bits with 200,000 entries: about 0.01% in theory; 0.1% leaves room for weak hashing.
    expect(falsePositives / probes).toBeLessThan(0.001);
  });
});
