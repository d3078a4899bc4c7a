// The card-hash key: card numbers are stored as keyed hashes (the key file itself: test/secrets, sealed under the master key).
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { cardHash } from '../../src/device-hub/cards.ts';

describe('card-hash key', () => {
  it('hashes card numbers with the key, so a database copy alone does not reveal them', () => {
    const plain = createHash('sha256').update('hq\u00000401').digest('hex');
    expect(cardHash('key-one-0123456789', 'hq', '0401')).not.toBe(plain);
    expect(cardHash('key-one-0123456789', 'hq', '0401')).not.toBe(cardHash('key-two-0123456789', 'hq', '0401'));
    expect(cardHash('key-one-0123456789', 'hq', '0401')).toBe(cardHash('key-one-0123456789', 'hq', '0401'));
  });
});
