// The Firebase JS SDK exactly as the PWA uses it: Auth + Firestore, pointed at the emulators when the host
// (Firebase Hosting locally: `python -m localcloud hosting`) says where they are.
import { initializeApp } from 'firebase/app';
import { connectAuthEmulator, getAuth } from 'firebase/auth';
import { connectFirestoreEmulator, getFirestore } from 'firebase/firestore';

async function fetchJson(url, { optional = false } = {}) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) {
    if (optional) return null;
    throw new Error(`${url} answered ${response.status}`);
  }
  return response.json();
}

export async function connect() {
  // Firebase Hosting serves the web app's config at this reserved URL.
  const config = await fetchJson('/__/firebase/init.json');
  const emulators = await fetchJson('/__/localcloud/emulators.json', { optional: true });
  const app = initializeApp(config);
  const auth = getAuth(app);
  const db = getFirestore(app);
  if (emulators) {
    connectAuthEmulator(auth, emulators.auth, { disableWarnings: true });
    const [host, port] = emulators.firestore.split(':');
    connectFirestoreEmulator(db, host, Number(port));
  }
  return { app, auth, db, emulators, config };
}
