// The kiosk's health report (terminal.health, docs/quality.md "Kiosk health"): the page
// state, whether it is visible, camera and microphone (present, permitted, live) and
// the last touch or key. Sent at connect, when the page state or the devices change and
// every interval the gateway answers with. During a call the call's tracks count. While
// idle the devices are proven by a short getUserMedia (tracks stopped at once) at load and
// then every device-check interval the gateway answers with (sla.kiosk_device_check_seconds),
// and only once the browser has granted them: the idle page never raises a permission
// prompt, nor lights the camera in front of visitors at every report.
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

/** The idle check's last result: when it ran and what it found live. */
interface IdleCheck { at: number; live: Record<Kind, boolean> }

/**
 * Present, permitted and live for both kinds: from the call's stream, else from a short
 * check when the last one is older than `checkMs` (the first one at load may prompt; later
 * ones run only when granted), else the last check's result.
 */
async function devices(stream: MediaStream | null, last: IdleCheck | null, checkMs: number): Promise<{ camera: Device; microphone: Device; check: IdleCheck | null }> {
  const listed = await navigator.mediaDevices.enumerateDevices().catch(() => [] as MediaDeviceInfo[]);
  const present = (kind: Kind) => listed.some((d) => d.kind === (kind === 'video' ? 'videoinput' : 'audioinput'));
  const allowed = { video: await permitted('camera'), audio: await permitted('microphone') };
  const live: Record<Kind, boolean> = { video: false, audio: false };
  const liveIn = (s: MediaStream, kind: Kind) => s.getTracks().some((t) => t.kind === kind && t.readyState === 'live' && t.enabled);
  let check = last;
  if (stream) {
    live.video = liveIn(stream, 'video');
    live.audio = liveIn(stream, 'audio');
  } else if (last && Date.now() - last.at < checkMs) {
    Object.assign(live, last.live);
  } else {
    for (const kind of ['video', 'audio'] as const) {
      // Undecided after the first check: never ask again from the idle page.
      if (!present(kind) || allowed[kind] === false || (last && allowed[kind] !== true)) continue;
      try {
        const probe = await navigator.mediaDevices.getUserMedia(kind === 'video' ? { video: true } : { audio: true });
        live[kind] = liveIn(probe, kind);
        probe.getTracks().forEach((t) => t.stop());
        allowed[kind] ??= true;
      } catch (error) {
        if ((error as Error).name === 'NotAllowedError') allowed[kind] = false;
      }
    }
    check = { at: Date.now(), live: { ...live } };
  }
  // A device the last check proved and the browser still grants counts as permitted.
  const device = (kind: Kind): Device => ({ present: present(kind), permitted: allowed[kind] ?? (check?.live[kind] === true), live: live[kind] });
  return { camera: device('video'), microphone: device('audio'), check };
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
  let stopped = false;
  let idleCheck: IdleCheck | null = null;
  // Until the gateway says (its first answer): a conservative interval.
  let deviceCheckMs = 900_000;
  const touched = () => { lastActivityAt = Date.now(); };
  const send = async () => {
    if (stopped) return;
    if (sending) { again = true; return; }
    sending = true;
    clearTimeout(timer);
    let nextMs = 30_000;
    try {
      const { page, stream } = state();
      const { camera, microphone, check } = await devices(stream, idleCheck, deviceCheckMs);
      idleCheck = check;
      const report: KioskReport = { page, visible: document.visibilityState === 'visible', camera, microphone, lastActivityAt };
      if (socket.connected && !stopped) {
        const r = await socket.timeout(10_000).emitWithAck('terminal.health', report).catch(() => null);
        if (r?.ok) { nextMs = r.nextMs; deviceCheckMs = r.deviceCheckMs ?? deviceCheckMs; }
      }
    } finally {
      sending = false;
      // A report in flight when the reporter stopped arms nothing: no second reporter lives on.
      if (!stopped) {
        timer = setTimeout(() => void send(), nextMs);
        if (again) { again = false; void send(); }
      }
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
      stopped = true;
      clearTimeout(timer);
      socket.off('connect', onConnect);
      navigator.mediaDevices.removeEventListener('devicechange', onDeviceChange);
      document.removeEventListener('pointerdown', touched, true);
      document.removeEventListener('keydown', touched, true);
    },
  };
}
