// Whether the telephone's leg of the desk's call is encrypted toward its PBX
// (SRTP) or plain (RTP): an icon and its words beside the caller's name, so the
// receptionist sees it without relying on colour (docs/sip.md "SRTP").
import type { MediaProtection } from '../../../src/signaling/contract.ts';
import { useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

export function LegMedia(props: { media: MediaProtection }) {
  const t = useTexts(T);
  const encrypted = props.media === 'srtp';
  return (
    <span class={`leg-media ${props.media}`} data-media={props.media} title={t('legMediaTitle')}>
      <span aria-hidden="true">{encrypted ? '🔒' : '🔓'}</span> {t(encrypted ? 'legSrtp' : 'legRtp')}
    </span>
  );
}
