// The admin page's change sequence: a mark names every section and site changed
// after it (the latest change of each, once); a mark it did not hand out (another
// process's, one from its future, not a mark at all) names nothing: the caller
// then refetches everything.
import { describe, expect, it } from 'vitest';
import { AdminChangeLog } from '../../src/signaling/index.ts';

describe('AdminChangeLog', () => {
  it('names the sections and sites changed after a mark, each once', () => {
    const log = new AdminChangeLog();
    log.record({ section: 'rules', siteId: 'hq' });
    const mark = log.mark();
    expect(log.since(mark)).toEqual([]);
    log.record({ section: 'phonebook', siteId: 'hq' });
    log.record({ section: 'phonebook', siteId: 'annex' });
    log.record({ section: 'phonebook', siteId: 'hq' });
    log.record({ section: 'audit', siteId: null });
    expect(log.since(mark)).toEqual(expect.arrayContaining([
      { section: 'phonebook', siteId: 'hq' }, { section: 'phonebook', siteId: 'annex' }, { section: 'audit', siteId: null },
    ]));
    expect(log.since(mark)).toHaveLength(3);
    // rules@hq changed before the mark, then again after it: named now.
    log.record({ section: 'rules', siteId: 'hq' });
    expect(log.since(mark)).toContainEqual({ section: 'rules', siteId: 'hq' });
    expect(log.since(log.mark())).toEqual([]);
  });

  it('names nothing for a mark it did not hand out', () => {
    const log = new AdminChangeLog();
    const other = new AdminChangeLog();
    log.record({ section: 'users', siteId: null });
    const [epoch] = log.mark().split('.');
    for (const mark of [other.mark(), `${epoch}.2`, `${epoch}.-1`, `${epoch}.x`, `${epoch}`, '', 5, undefined, null, { since: 1 }]) {
      expect(log.since(mark), JSON.stringify(mark)).toBeUndefined();
    }
    expect(log.since(`${epoch}.0`)).toEqual([{ section: 'users', siteId: null }]);
  });
});
