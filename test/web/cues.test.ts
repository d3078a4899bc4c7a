// The kiosk's cue log (web/src/terminal/cues.ts) keeps the recent cues only: a kiosk
// page runs for weeks without a reload, and each cue re-renders data-cues from it
// (review s23 #19: it grew by every cue of the page's life).
import { describe, expect, it } from 'vitest';
import { CuePlayer, CUE_LOG_SIZE } from '../../web/src/terminal/cues.ts';

describe('kiosk cue log', () => {
  it('keeps the last CUE_LOG_SIZE cues, newest last', () => {
    const shown: string[] = [];
    const player = new CuePlayer(0, (log) => shown.push(log.join(' ')));
    for (let i = 0; i < 3 * CUE_LOG_SIZE; i++) player.play(i % 2 ? 'door-open' : 'ringing');
    expect(player.log).toHaveLength(CUE_LOG_SIZE);
    expect(player.log.at(-1)).toBe('door-open:off');
    expect(shown.at(-1)!.split(' ')).toHaveLength(CUE_LOG_SIZE);
  });
});
