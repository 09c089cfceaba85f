// The owner console: sign in, pick the salon from the custom claim, and show one of three live pages.
import { onAuthStateChanged, signInWithEmailAndPassword, signOut } from 'firebase/auth';
import { doc, onSnapshot } from 'firebase/firestore';
import { connect } from './firebase.js';
import { escapeHtml, localDate, startOfLocalDay } from './format.js';
import { renderInbox } from './inbox.js';
import { renderToday } from './today.js';
import { renderChart } from './chart.js';

const PAGES = { inbox: ['Approvals', renderInbox], today: ['Today', renderToday], chart: ['Chart', renderChart] };
const app = document.getElementById('app');
let teardown = () => {};

function route() {
  const [path, search] = (location.hash.replace(/^#\/?/, '') || 'inbox').split('?');
  return { page: PAGES[path] ? path : 'inbox', params: new URLSearchParams(search ?? '') };
}

function refuse(element, what, error) {
  const reason = error?.code === 'permission-denied'
    ? "the salon's security rules refuse it to your account"
    : `${error?.code ?? 'error'}: ${error?.message ?? error}`;
  element.insertAdjacentHTML('beforeend', `<div class="refusal" data-testid="refusal" role="alert">
    <h3>Not available to you</h3><p>You may not see ${escapeHtml(what)}: ${escapeHtml(reason)}.</p></div>`);
}

function renderLogin(auth, message = '') {
  teardown();
  app.innerHTML = `
    <form class="login" data-testid="login">
      <h1>Salon Flow · owner console</h1>
      <label>Email <input name="email" type="email" autocomplete="username" required data-testid="email"></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required data-testid="password"></label>
      <button type="submit" data-testid="sign-in">Sign in</button>
      <p class="error" data-testid="login-error">${escapeHtml(message)}</p>
    </form>`;
  app.querySelector('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      await signInWithEmailAndPassword(auth, form.get('email'), form.get('password'));
    } catch (error) {
      app.querySelector('[data-testid="login-error"]').textContent = `Sign-in refused: ${error.code}`;
    }
  });
}

async function renderSignedIn(services, user) {
  teardown();
  const token = await user.getIdTokenResult();
  const roles = token.claims.salon_roles && typeof token.claims.salon_roles === 'object' ? token.claims.salon_roles : {};
  const { page, params } = route();
  const salonId = params.get('salon') || sessionStorage.getItem('salon') || Object.keys(roles)[0] || null;
  if (salonId) sessionStorage.setItem('salon', salonId);
  const role = salonId ? roles[salonId] ?? null : null;
  app.innerHTML = `
    <header>
      <strong>Salon Flow</strong>
      <span data-testid="salon-name">${escapeHtml(salonId ?? 'no salon')}</span>
      <nav>${Object.entries(PAGES).map(([key, [label]]) => `<a href="#/${key}${salonId ? `?salon=${encodeURIComponent(salonId)}` : ''}" class="${key === page ? 'active' : ''}" data-testid="nav-${key}">${label}</a>`).join('')}</nav>
      <span class="who" data-testid="who">${escapeHtml(user.email ?? user.uid)} · <b data-testid="role">${escapeHtml(role ?? 'no role here')}</b></span>
      <button type="button" data-testid="sign-out">Sign out</button>
    </header>
    <div class="banner" data-testid="banner"></div>
    <main data-testid="main"></main>`;
  app.querySelector('[data-testid="sign-out"]').addEventListener('click', () => signOut(services.auth));
  const main = app.querySelector('main');
  const banner = app.querySelector('[data-testid="banner"]');
  if (!salonId) {
    refuse(main, 'any salon data', { code: 'no-role', message: 'your account has no role in any salon (custom claim salon_roles)' });
    return;
  }
  if (!role) {
    banner.innerHTML = `<p class="refusal" data-testid="not-member">You are not a member of salon ${escapeHtml(salonId)}: its data is refused to your account.</p>`;
  }
  let stopPage = () => {};
  let shownZone = null;
  const show = (timeZone) => {
    if (timeZone === shownZone) return;
    shownZone = timeZone;
    stopPage();
    main.innerHTML = '';
    const date = localDate(Date.now(), timeZone);
    const ctx = { ...services, user, salonId, role, roles, timeZone, refuse, day: { date, start: startOfLocalDay(date, timeZone) } };
    stopPage = PAGES[page][1](ctx, main) ?? (() => {});
  };
  const stopSalon = onSnapshot(doc(services.db, 'salons', salonId), (snap) => {
    const salon = snap.data() ?? {};
    app.querySelector('[data-testid="salon-name"]').textContent = salon.name ?? salonId;
    show(salon.timezone || 'Asia/Kolkata');
  }, (error) => {
    refuse(banner, "this salon's settings", error);
    show('Asia/Kolkata');
  });
  teardown = () => { stopSalon(); stopPage(); };
}

async function start() {
  let services;
  try {
    services = await connect();
  } catch (error) {
    app.innerHTML = `<div class="refusal" data-testid="refusal">The console could not start: ${escapeHtml(error.message)}</div>`;
    return;
  }
  window.__console = services;
  let current = null;
  onAuthStateChanged(services.auth, (user) => {
    current = user;
    if (user) renderSignedIn(services, user); else renderLogin(services.auth);
  });
  window.addEventListener('hashchange', () => { if (current) renderSignedIn(services, current); });
}

start();
