export * from './create-migration';
export * from './base-commit';
export * from './migration-file';
export * from './migration-name';
export * from './generator';
export * from './report';
