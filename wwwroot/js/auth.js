// The credentials the page uses against a secured hub, kept for this browser tab only (sessionStorage).
// An API key goes out as Authorization: Bearer. EventSource cannot set headers, so live updates use a subscribe
// token as ?access_token=: either one the key obtains from POST /tokens, or one pasted in the dialog.

const KEY = 'pushhub.key';
const TOKEN = 'pushhub.subscribeToken';

let pending = null;
// Once the person dismisses the dialog, background requests (the stats poll) stop asking again until they choose
// "Enter key" themselves.
let dismissed = false;

export const credentials = {
  get key() { return sessionStorage.getItem(KEY) ?? ''; },
  get subscribeToken() { return sessionStorage.getItem(TOKEN) ?? ''; },
  get any() { return Boolean(this.key || this.subscribeToken); },
  forget() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(TOKEN);
    document.dispatchEvent(new CustomEvent('pushhub:credentials'));
  },
};

/** A subscribe token is a JWT: three base64url parts joined by dots. */
export function looksLikeToken(value) {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value);
}

/**
 * Shows the key dialog (once, however many requests are waiting on it) and resolves when the person has given a key
 * or a token; rejects when they dismiss it, and at once after a dismissal unless asked says the
 * person asked for the dialog.
 */
export function askForCredentials(reason, asked = false) {
  if (dismissed && !asked && !pending) return Promise.reject(new Error('No key was given: this hub needs one. Use "Enter key".'));
  pending ??= new Promise((resolve, reject) => {
    const dialog = document.getElementById('key-dialog');
    const form = dialog.querySelector('form');
    const keyInput = form.elements.namedItem('api-key');
    const tokenInput = form.elements.namedItem('subscribe-token');
    const error = dialog.querySelector('.dialog-error');
    document.getElementById('key-reason').textContent = reason || 'This hub needs an API key.';
    error.textContent = '';
    keyInput.value = credentials.key;
    tokenInput.value = credentials.subscribeToken;

    const finish = (ok) => {
      form.removeEventListener('submit', onSubmit);
      dialog.removeEventListener('close', onClose);
      pending = null;
      dismissed = !ok;
      ok ? resolve() : reject(new Error('No key was given: this hub needs one. Use "Enter key".'));
    };
    const onSubmit = (event) => {
      event.preventDefault();
      const key = keyInput.value.trim();
      const token = tokenInput.value.trim();
      if (!key && !token) {
        error.textContent = 'Enter an API key, a subscribe token, or both.';
        keyInput.focus();
        return;
      }
      // A token pasted into the key field is a token: the hub takes it as a bearer value too.
      if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY);
      if (token) sessionStorage.setItem(TOKEN, token); else sessionStorage.removeItem(TOKEN);
      dialog.removeEventListener('close', onClose);
      dialog.close();
      document.dispatchEvent(new CustomEvent('pushhub:credentials'));
      finish(true);
    };
    const onClose = () => finish(false);
    form.addEventListener('submit', onSubmit);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    keyInput.focus();
  });
  return pending;
}

/** The bearer value for API calls: the key, else a pasted token. */
export function bearer() {
  return credentials.key || credentials.subscribeToken;
}
