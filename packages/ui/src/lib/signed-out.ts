/**
 * "The server no longer knows who this is": an API call answered 401 or a WebSocket closed with 4401
 * (the key was revoked, the session ended or expired). The session gate listens and asks /auth/me again,
 * which sends the person to sign in and back to the page they were on.
 */
const SIGNED_OUT = "gantry:signed-out";

export function announceSignedOut(): void {
  window.dispatchEvent(new Event(SIGNED_OUT));
}

export function onSignedOut(listener: () => void): () => void {
  window.addEventListener(SIGNED_OUT, listener);
  return () => window.removeEventListener(SIGNED_OUT, listener);
}
