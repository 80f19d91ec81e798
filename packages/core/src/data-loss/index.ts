// What a change loses of the data a database holds, measured on a real database, and the renames that
// would keep it.
export * from './measure';
export * from './rename-candidates';
