// firestore.rules, proven through a Firestore emulator with the Firebase JS SDK and @firebase/rules-unit-testing.
// Run: FIRESTORE_EMULATOR_HOST=127.0.0.1:8080 npm test --prefix tests/rules
import { setUpEnvironment } from './harness.mjs';
import { baseline } from './fixtures.mjs';

setUpEnvironment(baseline());

await import('./salons.mjs');
await import('./staff_services.mjs');
await import('./customers_bookings.mjs');
await import('./server_owned_approvals.mjs');
await import('./default_deny.mjs');
await import('./sdk_paths.mjs');
await import('./sdk_protocol.mjs');
