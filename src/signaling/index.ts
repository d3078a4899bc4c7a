// Signaling between terminals, desks and the gateway (socket.io over the HTTPS
// server). Built by the video-call issue; the foundation only reserves its place.
export const SIGNALING_PATH = '/socket.io';
