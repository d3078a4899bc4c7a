// The kiosk's health report (terminal.health, docs/quality.md "Kiosk health"): the page
// state, whether it is visible, camera and microphone (present, permitted, live) and
// the last touch or key. Sent at connect, when the page state or the devices change and
// every interval the gateway answers with. While idle the devices are proven by a short
// getUserMedia (its tracks stopped at once); during a call the call's tracks count.
import type { Socket } from 'socket.io-client';
import type { KioskReport } from '../../../src/signaling/contract.ts';

type Device = KioskReport['camera'];
type Kind = 'video' | 'audio';

/** The permission's state: true granted, false denied, null undecided or unknown. */
async function permitted(name: 'camera' | 'microphone'): Promise<boolean | null> {
  try {
    const state = (await navigator.permissions.query({ name: name as PermissionName })).state;
    // 'prompt' is undecided (a kiosk browser may grant without asking): the check below decides.
    return state === 'granted' ? true : state === 'denied' ? false : null;
  } catch {
    return null; // a browser that cannot say: the check below decides
  }
}

/** Present, permitted and live for both kinds: from the call's stream, else from a short check. */
async function devices(stream: MediaStream | null): Promise<{ camera: Device; microphone: Device }> {
  const listed = await navigator.mediaDevices.enumerateDevices().catch(() => [] as MediaDeviceInfo[]);
  const present = (kind: Kind) => listed.some((d) => d.kind === (kind === 'video' ? 'videoinput' : 'audioinput'));
  const allowed = { video: await permitted('camera'), audio: await permitted('microphone') };
  const live: Record<Kind, boolean> = { video: false, audio: false };
  const liveIn = (s: MediaStream, kind: Kind) => s.getTracks().some((t) => t.kind === kind && t.readyState === 'live' && t.enabled);
  if (stream) {
    live.video = liveIn(stream, 'video');
    live.audio = liveIn(stream, 'audio');
  } else {
    for (const kind of ['video', 'audio'] as const) {
      if (!present(kind) || allowed[kind] === false) continue;
      try {
        const check = await navigator.mediaDevices.getUserMedia(kind === 'video' ? { video: true } : { audio: true });
        live[kind] = liveIn(check, kind);
        check.getTracks().forEach((t) => t.stop());
        allowed[kind] ??= true;
      } catch (error) {
        if ((error as Error).name === 'NotAllowedError') allowed[kind] = false;
      }
    }
  }
  const device = (kind: Kind): Device => ({ present: present(kind), permitted: allowed[kind] ?? false, live: live[kind] });
  return { camera: device('video'), microphone: device('audio') };
}

/**
 * Reports while the socket is connected; `state()` is read at each report. Returns `changed`
 * (call it when the page state changes) and `stop`.
 */
export function healthReports(socket: Socket, state: () => { page: KioskReport['page']; stream: MediaStream | null }) {
  let lastActivityAt: number | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sending = false;
  let again = false;
  const touched = () => { lastActivityAt = Date.now(); };
  const send = async () => {
    if (sending) { again = true; return; }
    sending = true;
    clearTimeout(timer);
    let nextMs = 30_000;
    try {
      const { page, stream } = state();
      const report: KioskReport = { page, visible: document.visibilityState === 'visible', ...(await devices(stream)), lastActivityAt };
      if (socket.connected) {
        const r = await socket.timeout(10_000).emitWithAck('terminal.health', report).catch(() => null);
        if (r?.ok) nextMs = r.nextMs;
      }
    } finally {
      sending = false;
      timer = setTimeout(() => void send(), nextMs);
      if (again) { again = false; void send(); }
    }
  };
  const onConnect = () => void send();
  const onDeviceChange = () => void send();
  socket.on('connect', onConnect);
  navigator.mediaDevices.addEventListener('devicechange', onDeviceChange);
  document.addEventListener('pointerdown', touched, true);
  document.addEventListener('keydown', touched, true);
  if (socket.connected) void send();
  return {
    changed: () => void send(),
    stop: () => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      navigator.mediaDevices.removeEventListener('devicechange', onDeviceChange);
      document.removeEventListener('pointerdown', touched, true);
      document.removeEventListener('keydown', touched, true);
    },
  };
}
