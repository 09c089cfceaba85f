// The /autonomous HTTP API, same origin (Firebase Hosting rewrites /autonomous/** to the function), with the
// signed-in user's ID token. Used only for what Firestore clients may not do: agent pause/resume, breakers, autonomy pins.
export async function callApi(ctx, method, path, body) {
  const token = await ctx.user.getIdToken();
  const separator = path.includes('?') ? '&' : '?';
  const response = await fetch(`${path}${separator}salon_id=${encodeURIComponent(ctx.salonId)}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const message = payload?.error?.message ?? `the API answered ${response.status}`;
    throw new Error(`${message} (${response.status})`);
  }
  return payload;
}
