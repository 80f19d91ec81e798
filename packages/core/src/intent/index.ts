// What the user declared: acknowledgements of data losses and locking changes, declared renames, as
// commit trailers and `-- db-migrate:` marker lines.
export * from './acknowledgements';
export * from './declared';
