// DTMF in SIP INFO bodies: what each is answered with and which key it carries.
import { describe, expect, it } from 'vitest';
import { readDtmfInfo } from '../../src/sip-bridge/index.ts';

describe('DTMF in SIP INFO', () => {
  it('reads application/dtmf-relay (Signal=, any case, event codes 10/11 for * and #)', () => {
    expect(readDtmfInfo('application/dtmf-relay', 'Signal=1\r\nDuration=160\r\n')).toEqual({ status: 200, digit: '1' });
    expect(readDtmfInfo('Application/DTMF-Relay; charset=x', 'Duration=250\r\nsignal= *\r\n')).toEqual({ status: 200, digit: '*' });
    expect(readDtmfInfo('application/dtmf-relay', 'Signal=11\r\nDuration=160')).toEqual({ status: 200, digit: '#' });
    expect(readDtmfInfo('application/dtmf-relay', 'Signal=d\r\n')).toEqual({ status: 200, digit: 'D' });
  });

  it('reads application/dtmf (the key itself)', () => {
    expect(readDtmfInfo('application/dtmf', '*')).toEqual({ status: 200, digit: '*' });
    expect(readDtmfInfo('application/dtmf', '7\r\n')).toEqual({ status: 200, digit: '7' });
    expect(readDtmfInfo('application/dtmf', '10')).toEqual({ status: 200, digit: '*' });
  });

  it('answers an empty INFO 200 without a key, another body type 415, a DTMF body without a key 400', () => {
    expect(readDtmfInfo(undefined, '')).toEqual({ status: 200 });
    expect(readDtmfInfo('application/dtmf-relay', '')).toEqual({ status: 200 });
    expect(readDtmfInfo('application/media_control+xml', '<media_control/>')).toEqual({ status: 415 });
    expect(readDtmfInfo(undefined, 'Signal=1')).toEqual({ status: 415 });
    expect(readDtmfInfo('application/dtmf-relay', 'Duration=160')).toMatchObject({ status: 400 });
    expect(readDtmfInfo('application/dtmf-relay', 'Signal=16')).toMatchObject({ status: 400 });
    expect(readDtmfInfo('application/dtmf', 'xyz')).toMatchObject({ status: 400 });
  });
});
