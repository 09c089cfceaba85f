// Starts the pinned @firestore-emulator/server (a library without a command) on the given port and
// prints one "ready" line once the port is bound, as our emulators do, so the bench times both alike.
import { EventEmitter } from "node:events";
import { FirestoreServer } from "@firestore-emulator/server";

// The peer keeps one emitter listener per open Listen target; the bench opens 100 of them.
EventEmitter.defaultMaxListeners = 0;

const port = Number(process.argv[2] ?? 8080);
const server = new FirestoreServer();
await server.start(port);
console.log(`firestore-emulator/server ready on 0.0.0.0:${port}`);
const stop = () => {
  server.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
