// PostgreSQL servers db-migrate starts itself: the binaries of a major (found on the machine or downloaded
// once from the pinned npm packages), a server started from them, one kept between commands, and the sweep
// of servers a killed run left behind.
export * from './local-server';
export * from './binaries';
