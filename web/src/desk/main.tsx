// The desk softphone (/desk): sign in, presence (always in view), incoming-call
// ring (sound and visual: terminal and site, the entry the visitor chose, why
// this desk rings, the visitor's video where the site allows a preview), answer /
// decline / hang up by click or shortcut (F8 / F9, shown on screen), mute,
// camera off, Open door with its real outcome, the reception queue, history.
// A ringing call's media is prepared before the answer (transports, the
// visitor's streams paused at the gateway); camera and microphone only if the
// user opted in (a setting of this desk), else every desk of a group ring would
// light its camera.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { io, type Socket } from 'socket.io-client';
import { credentialCheck, retryRefusedConnects } from '../lib/socket-retry.ts';
import type { RingMessage, CallStateMessage, MediaProtection } from '../../../src/signaling/contract.ts';
import { api } from '../lib/api.ts';
import { useRefusal, useTexts } from '../lib/i18n.tsx';
import { installFormMessages } from '../lib/form-check.ts';
import { Login } from '../lib/login.tsx';
import { Shell, Video } from '../lib/ui.tsx';
import { CallMediaClient } from '../lib/call-media.ts';
import { SignalQuality } from '../lib/signal-quality.tsx';
import { Ringer } from './ringer.ts';
import { TransferControl, ConsultControls } from './transfer.tsx';
import { EntryPhoto, RingCard, entryLabel } from './ring-card.tsx';
import { CallHistory, type HistoryItem, type MissedCall } from './history.tsx';
import { PresenceToggle } from './presence.tsx';
import { useShortcuts } from './shortcuts.ts';
import { T } from './texts.ts';
import { LegMedia } from './leg-media.tsx';
import { ackUnlessDisconnected } from '../lib/socket-ack.ts';

/** `terminal.media`: the call's telephone, whether its media to the PBX is encrypted (none for a terminal's call). */
type Active = { callId: string; siteId: string; terminal: { name: string; hasDoor: boolean; media?: MediaProtection }; entry: RingMessage['entry']; photo?: string };
/** The door of the call's terminal as the controller reported it (the button says so; never "open" before it is). */
type DoorView = { state: 'idle' | 'opening' | 'open' | 'failed' | 'unknown'; why?: string };
/** How long a notice or the door's outcome stays before it clears itself (ms). */
const NOTICE_MS = 10_000;
type Prepared = { media: CallMediaClient; stream?: Promise<MediaStream>; placeholder?: MediaStreamTrack };

const PREPARE_CAMERA_KEY = 'portier.desk.prepareCamera';
const camera = () => navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });

/**
 * Camera and microphone for an answer that is already on its way: what the browser
 * gives (another program may hold the camera, a permission may be missing) —
 * microphone only, or nothing — so the call never hangs half-answered; `missing` says what.
 */
async function answerMedia(started?: Promise<MediaStream>): Promise<{ stream: MediaStream; missing: 'none' | 'camera' | 'both' }> {
  try { return { stream: await (started ?? camera()), missing: 'none' }; } catch { /* fall through */ }
  try { return { stream: await navigator.mediaDevices.getUserMedia({ audio: true }), missing: 'camera' }; } catch { /* fall through */ }
  return { stream: new MediaStream(), missing: 'both' };
}

/** A still, black video track: sent while ringing so the send transport connects (the gateway shows it to nobody). */
function placeholderVideo(): MediaStreamTrack {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  canvas.getContext('2d')?.fillRect(0, 0, canvas.width, canvas.height);
  return canvas.captureStream(1).getVideoTracks()[0]!;
}

function Desk(props: { socket: Socket }) {
  const t = useTexts(T);
  const refusal = useRefusal();
  const { socket } = props;
  const [rings, setRings] = useState<RingMessage[]>([]);
  const [active, setActive] = useState<Active | null>(null);
  const activeRef = useRef(active);
  activeRef.current = active;
  const [presence, setPresence] = useState<'available' | 'away'>('available');
  const [queue, setQueue] = useState<Array<{ callId: string; terminalName: string }>>([]);
  const [history, setHistory] = useState<HistoryItem[]>([]);
  const [door, setDoor] = useState<DoorView>({ state: 'idle' });
  const [prepareCamera, setPrepareCamera] = useState(() => localStorage.getItem(PREPARE_CAMERA_KEY) === 'on');
  const [missed, setMissed] = useState<MissedCall[]>([]);
  const [local, setLocal] = useState<MediaStream | null>(null);
  const [remote, setRemote] = useState<MediaStream | null>(null);
  const [muted, setMuted] = useState(false);
  const [cameraOff, setCameraOff] = useState(false);
  const [notice, setNotice] = useState('');
  // This desk's consult (attended transfer) while the visitor waits; null otherwise.
  const [consult, setConsult] = useState<{ answered: boolean } | null>(null);
  const consultRef = useRef(consult);
  consultRef.current = consult;
  const [online, setOnline] = useState(socket.connected);
  const media = useRef<CallMediaClient | null>(null);
  const localRef = useRef<MediaStream | null>(null);
  const ringer = useRef(new Ringer());
  // Media of ringing calls, prepared before the answer (by call id).
  const prepared = useRef(new Map<string, Prepared>());
  /** A caller's PBX that moved the call (call.caller) before this desk's answer was through: the name the call shows once it is. */
  const movedCallers = useRef(new Map<string, string>());
  /** The same for the telephone's protection (call.phone-media) told while the answer was under way. */
  const phoneMedia = useRef(new Map<string, MediaProtection>());
  const prepareCameraRef = useRef(prepareCamera);
  prepareCameraRef.current = prepareCamera;

  const prepare = (callId: string) => {
    if (prepared.current.has(callId)) return;
    const m = new CallMediaClient(socket, callId);
    const stream = prepareCameraRef.current ? camera() : undefined;
    const placeholder = stream ? undefined : placeholderVideo();
    prepared.current.set(callId, { media: m, stream, placeholder });
    // A call that stops ringing meanwhile is simply dropped; answering prepares again if this failed.
    m.prepare(stream ? stream.then((s) => s.getVideoTracks()[0]!) : Promise.resolve(placeholder!)).catch(() => undefined);
  };
  const unprepare = (callId: string) => {
    const p = prepared.current.get(callId);
    if (!p) return;
    prepared.current.delete(callId);
    p.media.close();
    p.placeholder?.stop();
    void p.stream?.then((s) => s.getTracks().forEach((tr) => tr.stop()), () => undefined);
  };

  const loadHistory = async () => { const r = await socket.emitWithAck('history.list', {}); if (r.ok) setHistory(r.calls); };
  const endCall = () => {
    media.current?.close(); media.current = null;
    localRef.current?.getTracks().forEach((tr) => tr.stop());
    localRef.current = null;
    setLocal(null);
    setRemote(null); setActive(null); setMuted(false); setCameraOff(false); setConsult(null); setDoor({ state: 'idle' });
    movedCallers.current.clear();
    phoneMedia.current.clear();
    void loadHistory();
  };

  useEffect(() => {
    socket.on('call.ring', (m: RingMessage) => { setRings((r) => [...r.filter((x) => x.callId !== m.callId), m]); prepare(m.callId); });
    socket.on('call.stop-ring', (m: { callId: string }) => { setRings((r) => r.filter((x) => x.callId !== m.callId)); unprepare(m.callId); void loadHistory(); });
    socket.on('call.state', (m: CallStateMessage) => { if (m.step === 'ended') endCall(); });
    socket.on('call.missed', (m: MissedCall) => { setMissed((x) => [{ terminalName: m.terminalName, fromPhone: m.fromPhone }, ...x].slice(0, 20)); void loadHistory(); });
    socket.on('history.changed', () => void loadHistory());
    socket.on('queue.update', (m: { calls: Array<{ callId: string; terminalName: string }> }) => setQueue(m.calls));
    socket.on('media.producer', (m: { callId: string; producerId: string }) => {
      const target = media.current?.callId === m.callId ? media.current : prepared.current.get(m.callId)?.media;
      void target?.consume(m.producerId);
    });
    // An attended transfer: the consulting desk gets ringing first; the colleague only from answered on.
    socket.on('consult.state', (m: { state: string }) => {
      const mine = consultRef.current !== null || m.state === 'ringing';
      if (m.state === 'ringing' || (m.state === 'answered' && mine)) { setConsult({ answered: m.state === 'answered' }); if (m.state === 'answered') setNotice(t('consultAnswered')); return; }
      if (m.state === 'answered') { setNotice(t('consultIncoming')); return; }
      setConsult(null);
      // The consulting desk left on completion; the colleague left on any other end.
      if (m.state === 'completed') { if (mine) endCall(); setNotice(t(mine ? 'consultCompleted' : 'consultTaken')); return; }
      if (!mine) { endCall(); setNotice(t('consultEnded')); return; }
      setNotice(t(m.state === 'declined' ? 'consultDeclined' : m.state === 'no-answer' ? 'consultNoAnswer' : 'consultCancelled'));
    });
    socket.on('media.producer-closed', (m: { callId: string; producerId: string }) => {
      const target = media.current?.callId === m.callId ? media.current : prepared.current.get(m.callId)?.media;
      target?.producerClosed(m.producerId);
    });
    // A call from a telephone (inbound SIP) answered here: send the microphone in its G.711 codec.
    socket.on('media.codec', (m: { callId: string; audioCodec: string }) => {
      const target = media.current?.callId === m.callId ? media.current : prepared.current.get(m.callId)?.media;
      void target?.produceAudioIn(m.audioCodec);
    });
    // The caller's PBX moved it to another of its telephones (REFER): the call goes on with that one.
    socket.on('call.caller', (m: { callId: string; name: string }) => {
      movedCallers.current.set(m.callId, m.name);
      setActive((a) => (a?.callId === m.callId ? { ...a, terminal: { ...a.terminal, name: m.name } } : a));
      setNotice(t('callerMoved', { name: m.name }));
    });
    // The telephone's leg settled (or changed) whether its media is encrypted: the call's heading, or its ringing card.
    socket.on('call.phone-media', (m: { callId: string; media: MediaProtection }) => {
      phoneMedia.current.set(m.callId, m.media);
      setActive((a) => (a?.callId === m.callId ? { ...a, terminal: { ...a.terminal, media: m.media } } : a));
      setRings((r) => r.map((x) => (x.callId === m.callId ? { ...x, terminal: { ...x.terminal, media: m.media } } : x)));
    });
    socket.on('desk.notify', (m: { text: { de: string; en: string } }) => setNotice(document.documentElement.lang === 'de' ? m.text.de : m.text.en));
    socket.on('call.resume', async (m: { callId: string }) => {
      // Back within the grace period: start the call's media afresh.
      if (!media.current || !localRef.current) return;
      media.current.close();
      const fresh = new CallMediaClient(socket, m.callId);
      media.current = fresh;
      await fresh.start(localRef.current);
      setRemote(fresh.remote);
    });
    socket.on('connect', () => { setOnline(true); void loadHistory(); });
    // A refusal for another reason (a busy store, say) is tried again; a session that is gone shows the sign-in.
    retryRefusedConnects(socket, (reason) => { if (reason === 'unauthenticated') location.reload(); });
    // The gateway ended this socket ('io server disconnect': the session ended — a logout elsewhere, a new
    // password, an answer refused after the session expired). socket.io-client does not reconnect after that,
    // so the page asks: signed out → the sign-in (a reload); still signed in → connect again (as the kiosk does).
    const session = credentialCheck(socket, '/api/auth/me', () => location.reload());
    socket.on('disconnect', (reason: string) => { setOnline(false); if (reason === 'io server disconnect') session.check(); });
    // Only now, with every listener in place: a socket that connected before this effect ran
    // (a loaded machine paints late) left the page "reconnecting" for good and lost queue.update.
    socket.connect();
    return () => { session.cancel(); socket.removeAllListeners(); for (const id of [...prepared.current.keys()]) unprepare(id); };
  }, [socket]);

  useEffect(() => { if (rings.length > 0 && !active) ringer.current.start(); else ringer.current.stop(); }, [rings.length, active]);

  // One answer at a time (a click and the shortcut together must not answer twice).
  const answering = useRef(false);
  const answer = async (ring: RingMessage) => {
    if (answering.current) return;
    answering.current = true;
    try { await answerRing(ring); } finally { answering.current = false; }
  };
  const answerRing = async (ring: RingMessage) => {
    const ready = prepared.current.get(ring.callId);
    prepared.current.delete(ring.callId);
    // From now on this call's media.producer events go to this client (also while the answer is under way).
    const m = ready?.media ?? new CallMediaClient(socket, ring.callId);
    media.current = m;
    // The camera (unless prepared while ringing) starts while the gateway takes the answer.
    const [got, r] = await Promise.all([
      answerMedia(ready?.stream), // the camera opened while ringing (if the user chose so), else now
      socket.emitWithAck('call.answer', { callId: ring.callId }),
    ]);
    const { stream } = got;
    if (!r.ok) {
      stream.getTracks().forEach((tr) => tr.stop());
      m.close();
      if (media.current === m) media.current = null;
      setRings((x) => x.filter((y) => y.callId !== ring.callId));
      return;
    }
    // Another ringing call's preparation ends here: this desk is now busy.
    for (const id of [...prepared.current.keys()]) unprepare(id);
    setRings([]);
    setLocal(stream);
    localRef.current = stream;
    // A move that came while the answer was under way (the fresh-clone run of stop 25: the heading kept the old caller).
    setActive({ callId: ring.callId, siteId: ring.terminal.siteId, terminal: { name: movedCallers.current.get(ring.callId) ?? r.terminal.name, hasDoor: r.terminal.hasDoor, media: phoneMedia.current.get(ring.callId) ?? r.terminal.media }, entry: ring.entry, photo: ring.photo });
    setRemote(m.remote);
    // The host still sees and hears the visitor and can open the door; the page says what the visitor misses.
    if (got.missing !== 'none') setNotice(t(got.missing === 'camera' ? 'noCamera' : 'noCameraNoMicrophone'));
    await m.start(stream);
  };

  const choosePrepareCamera = (on: boolean) => {
    setPrepareCamera(on);
    localStorage.setItem(PREPARE_CAMERA_KEY, on ? 'on' : 'off');
  };

  const toggle = async (kind: 'audio' | 'video') => {
    const next = kind === 'audio' ? !muted : !cameraOff;
    await media.current?.setPaused(kind, next);
    if (kind === 'audio') setMuted(next); else setCameraOff(next);
  };

  // The button shows the door's real state: opening until the controller answers, then open or failed (and why).
  const openDoor = async () => {
    if (!active || door.state === 'opening') return;
    const callId = active.callId;
    setDoor({ state: 'opening' });
    // socket.io never delivers an ack once the socket has dropped (gateway restart, network): then the outcome is unknown.
    const r = await ackUnlessDisconnected(socket, () => socket.emitWithAck('door.open', { callId }));
    if (r === 'disconnected') {
      if (activeRef.current?.callId !== callId) setNotice(t('doorUnknown')); else setDoor({ state: 'unknown' });
      return;
    }
    if (r === 'offline') { setDoor({ state: 'failed', why: t('doorNotSent') }); return; }
    const opened = r.ok && r.outcome === 'acknowledged';
    const why = opened ? '' : r.ok ? (r.outcome === 'timeout' ? t('doorNoAnswer') : t('doorRefused')) : r.error === 'unavailable' ? t('doorNoController') : refusal(r);
    // The call may be over by the time the controller answers: then the notice says how the door ended.
    if (activeRef.current?.callId !== callId) { setNotice(opened ? t('doorOpened') : t('doorFailed', { why })); return; }
    setDoor(opened ? { state: 'open' } : { state: 'failed', why });
  };
  // Notices and the door's outcome clear themselves (the door button is ready again).
  useEffect(() => { if (!notice) return; const id = setTimeout(() => setNotice(''), NOTICE_MS); return () => clearTimeout(id); }, [notice]);
  useEffect(() => { if (door.state === 'idle' || door.state === 'opening') return; const id = setTimeout(() => setDoor({ state: 'idle' }), NOTICE_MS); return () => clearTimeout(id); }, [door]);

  // A desk that leaves a three-way call gets no call.state (the call goes on without it): the ack ends it here.
  const hangup = async (callId: string) => {
    const r = await socket.emitWithAck('call.hangup', { callId });
    if (r.ok && media.current?.callId === callId) endCall();
  };

  const setState = async (state: 'available' | 'away') => { setPresence(state); await socket.emitWithAck('presence.set', { state }); };
  const decline = (callId: string) => void socket.emitWithAck('call.decline', { callId });
  useShortcuts({
    answer: () => { if (!active && rings[0]) void answer(rings[0]); },
    hangup: () => { if (active) void hangup(active.callId); else if (rings[0]) decline(rings[0].callId); },
  });

  return (
    <Shell title={t('title')}>
      {!online && <p class="banner warn" role="status">{t('offline')}</p>}
      {notice && <p class="banner" role="status" data-testid="notice">{notice} <button type="button" class="dismiss" onClick={() => setNotice('')}>{t('dismiss')}</button></p>}
      <div class="toolbar">
        <PresenceToggle state={presence} inCall={Boolean(active)} set={(s) => void setState(s)} />
        <label class="inline"><input type="checkbox" checked={prepareCamera} onChange={(e) => choosePrepareCamera((e.target as HTMLInputElement).checked)} /> {t('prepareCamera')}</label>
        <button onClick={() => void api('POST', '/api/auth/logout').then(() => location.reload())}>{t('signOut')}</button>
      </div>
      <p class="shortcuts" id="shortcuts">{t('shortcuts')}</p>
      {rings.map((ring, i) => (
        <RingCard key={ring.callId} ring={ring} first={i === 0 && !active} preview={prepared.current.get(ring.callId)?.media.remote ?? null}
          answer={() => void answer(ring)} decline={() => decline(ring.callId)} />
      ))}
      {active && (
        <section class="call" data-call={active.callId}>
          <h2><EntryPhoto src={active.photo} />{t('inCallWith', { terminal: active.terminal.name })} <span class="call-for">{t('forEntry', { entry: entryLabel(active.entry) })}</span>
            {active.terminal.media && <LegMedia media={active.terminal.media} />}</h2>
          <div class="stage">
            <Video class="remote" stream={remote} label={t('visitor')} />
            <Video class="local" stream={local} muted label={t('you')} />
          </div>
          <div class="controls">
            <button aria-pressed={muted} onClick={() => void toggle('audio')}>{muted ? t('unmute') : t('mute')}</button>
            <button aria-pressed={cameraOff} onClick={() => void toggle('video')}>{cameraOff ? t('cameraOn') : t('cameraOff')}</button>
            <SignalQuality socket={socket} callId={active.callId} media={() => media.current} />
            {active.terminal.hasDoor && (
              <button class="primary" data-action="open-door" data-door={door.state} disabled={door.state === 'opening'} onClick={() => void openDoor()}>
                {t(door.state === 'opening' ? 'doorOpening' : 'openDoor')}
              </button>
            )}
            {/* The controller's real answer, next to the button (it clears itself; the button opens again). */}
            {door.state === 'open' && <span class="door-state ok" role="status">{t('doorOpened')}</span>}
            {door.state === 'failed' && <span class="door-state error" role="alert">{t('doorFailed', { why: door.why ?? '' })}</span>}
            {door.state === 'unknown' && <span class="door-state error" role="alert">{t('doorUnknown')}</span>}
            {/* Blind transfer: this desk leaves the call at once (its media ends here too). */}
            <TransferControl socket={socket} callId={active.callId} siteId={active.siteId} mode="transfer" transferred={endCall} notice={setNotice} />
            <TransferControl socket={socket} callId={active.callId} siteId={active.siteId} mode="add" transferred={endCall} notice={setNotice} />
            {/* Attended transfer: the visitor waits on hold while this desk consults a colleague. */}
            {consult
              ? <ConsultControls socket={socket} callId={active.callId} answered={consult.answered} notice={setNotice} />
              : <TransferControl socket={socket} callId={active.callId} siteId={active.siteId} mode="consult" transferred={endCall} notice={setNotice} />}
            <button class="danger" data-action="hangup" onClick={() => void hangup(active.callId)}>{t('hangup')}<kbd aria-hidden="true">{t('keyHangup')}</kbd></button>
          </div>
        </section>
      )}
      <section class="card"><h2>{t('queue')}</h2>
        {queue.length === 0 ? <p>{t('queueEmpty')}</p> : <ol>{queue.map((q) => <li key={q.callId} data-user-text>{q.terminalName}</li>)}</ol>}
      </section>
      <CallHistory calls={history} missed={missed} />
    </Shell>
  );
}

async function main() {
  const root = document.getElementById('app')!;
  installFormMessages();
  try { await api('GET', '/api/auth/me'); } catch { render(<Shell title="Portier"><Login /></Shell>, root); return; }
  // Connected by the Desk's socket effect, once its listeners are there.
  const socket = io('/desk', { transports: ['websocket'], autoConnect: false });
  render(<Desk socket={socket} />, root);
}

void main();
