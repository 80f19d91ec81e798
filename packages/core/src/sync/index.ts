export { syncFleet, type SyncOptions } from './sync';
