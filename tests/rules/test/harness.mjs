// The test environment, the users, and the tally of attack cases. Written against the public
// @firebase/rules-unit-testing API only, so the suite runs unchanged against Google's emulator.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { assertFails, assertSucceeds, initializeTestEnvironment } from '@firebase/rules-unit-testing';
import { doc, onSnapshot, setLogLevel, writeBatch } from 'firebase/firestore';

setLogLevel('silent'); // denied writes are expected here; the SDK would log every one

const here = path.dirname(fileURLToPath(import.meta.url));
export const RULES_FILE = path.resolve(here, '../../../firestore.rules');
export const PROJECT_ID = process.env.RULES_TEST_PROJECT || 'demo-rules';

function emulatorAddress() {
  const hostAndPort = process.env.FIRESTORE_EMULATOR_HOST;
  if (!hostAndPort) throw new Error('Set FIRESTORE_EMULATOR_HOST=host:port of a running Firestore emulator');
  const url = new URL(`http://${hostAndPort}`);
  return { host: url.hostname, port: Number(url.port) };
}

// Who can call: a Firebase Auth user's custom claim `salon_roles` maps salon ids to roles.
const PEOPLE = {
  owner: { uid: 'u_owner', claims: { salon_roles: { s1: 'owner' } } },
  manager: { uid: 'u_manager', claims: { salon_roles: { s1: 'manager' } } },
  staff: { uid: 'u_staff', claims: { salon_roles: { s1: 'staff' } } },
  outsider: { uid: 'u_outsider', claims: { salon_roles: { s2: 'owner' } } },
  multi: { uid: 'u_multi', claims: { salon_roles: { s1: 'staff', s2: 'manager' } } },
  noClaim: { uid: 'u_none', claims: {} },
  wrongRole: { uid: 'u_admin', claims: { salon_roles: { s1: 'admin' } } },
  claimNotMap: { uid: 'u_str', claims: { salon_roles: 's1' } },
  anonymous: null,
};
export const MEMBERS = ['owner', 'manager', 'staff'];
export const NON_MEMBERS = ['anonymous', 'outsider', 'noClaim', 'wrongRole', 'claimNotMap'];
export const uidOf = (who) => PEOPLE[who].uid;

let env;
const databases = new Map();

/** The Firestore of one caller (one app per caller, created once). */
export function db(who) {
  if (!databases.has(who)) {
    const person = PEOPLE[who];
    const context = person === null ? env.unauthenticatedContext() : env.authenticatedContext(person.uid, person.claims);
    databases.set(who, context.firestore());
  }
  return databases.get(who);
}

/** Write documents with rules disabled (what the server's Admin SDK does). */
export async function seed(documents) {
  const entries = Object.entries(documents);
  if (entries.length === 0) return;
  await env.withSecurityRulesDisabled(async (context) => {
    const firestore = context.firestore();
    for (let start = 0; start < entries.length; start += 400) {
      const batch = writeBatch(firestore);
      for (const [docPath, data] of entries.slice(start, start + 400)) batch.set(doc(firestore, docPath), data);
      await batch.commit();
    }
  });
}

/** Run `callback(firestore)` with rules disabled (the emulator's `owner` token). */
export async function withAdmin(callback) {
  await env.withSecurityRulesDisabled(async (context) => callback(context.firestore()));
}

/** Read documents with rules disabled: what a request really left behind. */
export async function peek(docPaths) {
  const { getDoc } = await import('firebase/firestore');
  let found = [];
  await env.withSecurityRulesDisabled(async (context) => {
    const firestore = context.firestore();
    found = await Promise.all(docPaths.map(async (p) => (await getDoc(doc(firestore, p))).data() ?? null));
  });
  return found;
}

/**
 * The first snapshot of a listener (document or query) that the server has answered, or its error.
 * Snapshots from the local cache come first when the cache holds matching documents: they prove nothing.
 */
export function firstSnapshot(target) {
  return new Promise((resolve, reject) => {
    const unsubscribe = onSnapshot(
      target,
      { includeMetadataChanges: true },
      (snapshot) => {
        if (snapshot.metadata.fromCache) return;
        unsubscribe();
        resolve(snapshot);
      },
      reject,
    );
  });
}

export const tally = { attacks: 0, through: [], legitimate: 0, refused: [] };

export function setUpEnvironment(baseline) {
  before(async () => {
    const { host, port } = emulatorAddress();
    env = await initializeTestEnvironment({
      projectId: PROJECT_ID,
      firestore: { host, port, rules: fs.readFileSync(RULES_FILE, 'utf8') },
    });
    await env.clearFirestore();
    await seed(baseline);
  });
  after(async () => {
    console.log(
      `firestore.rules through the emulator: ${tally.attacks} attack cases tried, ${tally.through.length} got through; ` +
        `${tally.legitimate} legitimate requests, ${tally.refused.length} refused`,
    );
    for (const name of tally.through) console.log(`  GOT THROUGH: ${name}`);
    for (const name of tally.refused) console.log(`  REFUSED: ${name}`);
    if (env) await env.cleanup();
  });
}

/**
 * A group of cases sharing the documents they need. `allow(name, who, run)` must succeed and
 * `deny(name, who, run)` must fail with permission-denied; `run(firestore, who)` returns the request's promise.
 */
export class Cases {
  constructor(title) {
    this.title = title;
    this.documents = {};
    this.cases = [];
    this.counter = 0;
  }

  id(prefix) {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }

  seed(docPath, data) {
    this.documents[docPath] = data;
    return docPath;
  }

  /** Options: `reset` = documents written (rules disabled) just before the case; `check` = runs after it. */
  allow(name, who, run, options = {}) {
    this.cases.push({ name, who, run, allowed: true, ...options });
  }

  deny(name, who, run, options = {}) {
    this.cases.push({ name, who, run, allowed: false, ...options });
  }

  /** The same attack by every caller who belongs to no role in salon s1. */
  denyNonMembers(name, run, options = {}) {
    for (const who of NON_MEMBERS) this.deny(`${name} by ${who}`, who, run, options);
  }

  register() {
    const names = new Set();
    for (const c of this.cases) {
      if (names.has(c.name)) throw new Error(`duplicate case name: ${c.name}`);
      names.add(c.name);
    }
    describe(this.title, () => {
      before(() => seed(this.documents));
      for (const c of this.cases) {
        it(`${c.allowed ? 'allows' : 'denies'}: ${c.name}`, async () => {
          if (c.reset) await seed(c.reset);
          const request = () => c.run(db(c.who), c.who);
          if (c.allowed) {
            tally.legitimate += 1;
            try {
              await assertSucceeds(request());
            } catch (error) {
              tally.refused.push(c.name);
              throw error;
            }
          } else {
            tally.attacks += 1;
            try {
              await assertFails(request());
            } catch (error) {
              tally.through.push(c.name);
              throw error;
            }
          }
          if (c.check) await c.check();
        });
      }
    });
  }
}
