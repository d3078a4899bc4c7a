// Cookie names shared by the HTTP routes that set them and the socket.io
// namespaces that read them (a leaf module, so neither adapter imports the other).
export const SESSION_COOKIE = 'portier_session';
export const TERMINAL_COOKIE = 'portier_terminal';
